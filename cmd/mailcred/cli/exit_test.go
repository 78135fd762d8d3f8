package cli

import (
	"encoding/json"
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/mailcred/mailcred/scoring/dnstest"
)

// deadResolver is a DNS server that never answers: every check that needs
// DNS can only say "could not check".
func deadResolver(t *testing.T) string {
	t.Helper()
	h, err := dnstest.StartHostile(func(*dns.Msg, bool) []*dns.Msg { return nil })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h.Addr
}

type completeness struct {
	Complete  *bool    `json:"complete"`
	Unchecked []string `json:"unchecked"`
}

func decodeCompleteness(t *testing.T, out string) completeness {
	t.Helper()
	var c completeness
	if err := json.Unmarshal([]byte(out), &c); err != nil || c.Complete == nil {
		t.Fatalf("JSON without \"complete\": %v\n%s", err, out)
	}
	return c
}

func TestNothingCheckableIsIncompleteNeverSuccess(t *testing.T) {
	dead := deadResolver(t)
	fast := []string{"--timeout", "100ms"}
	for _, tc := range []struct {
		name string
		args func(t *testing.T, format string) []string
		// checks that must be among the unchecked
		unchecked []string
	}{
		{"check", func(t *testing.T, format string) []string {
			return checkArgs(dead, append(fast, "--format", format)...)
		}, []string{"spf.record", "dmarc.record"}},
		{"score", func(t *testing.T, format string) []string {
			return scoreArgs(dead, writeFile(t, "good.eml", goodMessage(t)), append(fast, "--format", format)...)
		}, []string{"spf.result", "dkim.signature"}},
		{"send", func(t *testing.T, format string) []string {
			srv, ca, _ := submission(t, nil)
			return sendArgs(dead, srv.Addr(), ca, append(fast, "--yes", "--format", format, "--auth-password-file", passwordFile(t))...)
		}, []string{"spf.record"}},
	} {
		t.Run(tc.name+" json", func(t *testing.T) {
			code, out, stderr := run(t, nil, tc.args(t, "json")...)
			if code != ExitIncomplete {
				t.Fatalf("exit %d, want %d (incomplete)\n%s", code, ExitIncomplete, stderr)
			}
			c := decodeCompleteness(t, out)
			if *c.Complete {
				t.Fatal(`"complete": true with a resolver that never answers`)
			}
			for _, id := range tc.unchecked {
				if !contains(c.Unchecked, id) {
					t.Errorf("unchecked %v lacks %s", c.Unchecked, id)
				}
			}
		})
		t.Run(tc.name+" text", func(t *testing.T) {
			code, out, stderr := run(t, nil, tc.args(t, "text")...)
			if code != ExitIncomplete {
				t.Fatalf("exit %d, want %d (incomplete)\n%s", code, ExitIncomplete, stderr)
			}
			if strings.Contains(out, "Score 10.0/10") || !strings.Contains(out, "could not be checked") {
				t.Fatalf("text claims a full score or hides what was not checked:\n%s", out)
			}
		})
	}
}

func TestSPFTempErrorIsIncomplete(t *testing.T) {
	code, out, _ := run(t, nil, "spf", "--resolver", deadResolver(t), "--timeout", "100ms", "--ip", "192.0.2.10",
		"--sender", "a@example.com", "--format", "json")
	if code != ExitIncomplete {
		t.Fatalf("exit %d, want 3", code)
	}
	if c := decodeCompleteness(t, out); *c.Complete || !contains(c.Unchecked, "spf.result") {
		t.Fatalf("completeness %+v", c)
	}
}

func TestCompleteRunsSayComplete(t *testing.T) {
	code, out, _ := run(t, nil, checkArgs(world(t, false), "--format", "json", "--dkim-key", keyFile)...)
	if c := decodeCompleteness(t, out); code != ExitOK || !*c.Complete || c.Unchecked == nil || len(c.Unchecked) != 0 {
		t.Fatalf("exit %d, completeness %+v (want complete, unchecked [])", code, c)
	}
	// A failure wins over anything unchecked.
	code, _, _ = run(t, nil, checkArgs(world(t, true), "--format", "json")...)
	if code != ExitFailed {
		t.Fatalf("bare VPS exits %d, want 1", code)
	}
}

func TestExitStatusIsInEveryHelp(t *testing.T) {
	for _, cmd := range []string{"check", "spf", "score", "send"} {
		code, out, _ := run(t, nil, cmd, "--help")
		if code != ExitOK || !strings.Contains(out, "3 incomplete") {
			t.Errorf("%s --help lacks the exit status 3:\n%s", cmd, out)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// A resolver that replies to nothing is said once, in words, before the
// checks; the checks it left unchecked are a line each instead of a page
// of identical "try again later" (and never the socket's own words). A
// resolver that does reply, however badly, keeps every check's detail.
func TestSilentResolverIsSaidOnce(t *testing.T) {
	refused := closedPort(t)
	for _, tc := range []struct {
		name, resolver, cause string
		args                  func(dns string) []string
	}{
		{"check, refused", refused, "nothing answers DNS at " + refused + " (connection refused)",
			func(dns string) []string { return checkArgs(dns, "--timeout", "100ms") }},
		{"check, no reply", deadResolver(t), "within 100ms",
			func(dns string) []string { return checkArgs(dns, "--timeout", "100ms") }},
		{"score, refused", refused, "(connection refused)",
			func(dns string) []string {
				return scoreArgs(dns, writeFile(t, "good.eml", goodMessage(t)), "--timeout", "100ms")
			}},
		{"spf, refused", refused, "did not reply to the one question asked: nothing answers DNS at " + refused,
			func(dns string) []string {
				return []string{"spf", "--resolver", dns, "--timeout", "100ms", "--ip", "192.0.2.10", "--sender", "a@example.com"}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := run(t, nil, tc.args(tc.resolver)...)
			if code != ExitIncomplete {
				t.Fatalf("exit %d, want %d\n%s", code, ExitIncomplete, stderr)
			}
			flat := strings.Join(strings.Fields(out), " ") // as read, not as wrapped
			if n := strings.Count(flat, "The resolver "); n != 1 || !strings.Contains(flat, tc.cause) {
				t.Errorf("want the resolver's silence said once, with %q:\n%s", tc.cause, out)
			}
			leaks := []string{"read udp", "try again later", "i/o timeout"}
			if strings.HasPrefix(tc.name, "spf") {
				leaks = leaks[:1] // spf's tree keeps its temperror text; the notice comes first
			}
			for _, leak := range leaks {
				if strings.Contains(flat, leak) {
					t.Errorf("output still says %q:\n%s", leak, out)
				}
			}
		})
	}
	// A resolver that answers SERVFAIL is not silent: each check explains.
	srv, err := dnstest.Start("")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.SetFault("example.com", dnstest.ServFail)
	_, out, _ := run(t, nil, checkArgs(srv.Addr, "--timeout", "100ms")...)
	if strings.Contains(out, "replied to none of") {
		t.Errorf("a SERVFAIL is a reply:\n%s", out)
	}
}

// closedPort is a loopback UDP address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close()
	return addr
}

// A command's help lists the global flags it reads, not the ones that
// would do nothing there (--resolver under version).
func TestHelpListsTheGlobalsACommandReads(t *testing.T) {
	for _, tc := range []struct {
		args      []string
		want, not []string
	}{
		{[]string{"version", "--help"}, []string{"--format"}, []string{"--resolver", "--theme", "--dqs-key"}},
		{[]string{"keygen", "--help"}, []string{"--format"}, []string{"--resolver", "--fresh"}},
		{[]string{"man", "--help"}, nil, []string{"Global Flags", "--resolver"}},
		{[]string{"report", "--help"}, []string{"--theme", "--dqs-key"}, []string{"--resolver"}},
		{[]string{"completion", "bash", "--help"}, nil, []string{"--resolver"}},
		{[]string{"check", "--help"}, []string{"--resolver", "--fresh", "--timeout", "--format"}, nil},
	} {
		code, out, _ := run(t, nil, tc.args...)
		if code != ExitOK {
			t.Errorf("%v: exit %d", tc.args, code)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v lacks %s:\n%s", tc.args, w, out)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(out, n) {
				t.Errorf("%v lists %s:\n%s", tc.args, n, out)
			}
		}
	}
}
