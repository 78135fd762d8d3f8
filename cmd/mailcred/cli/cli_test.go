package cli

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring/catalog"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/simzone"
)

var (
	ip4 = netip.MustParseAddr("192.0.2.10")
	ip6 = netip.MustParseAddr("2001:db8::10")
)

const keyFile = "testdata/rsa2048-private.pem"

// world serves a healthy sender's zone, or the story's bare VPS.
func world(t *testing.T, bare bool) string {
	t.Helper()
	return worldServer(t, bare).Addr
}

// worldServer is world's DNS server, for tests that read its question log.
func worldServer(t *testing.T, bare bool) *dnstest.Server {
	t.Helper()
	key, err := dkim.LoadPrivateKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := dkim.RecordForKey(key.Public())
	s := simzone.Setup{
		Domain: "example.com", MailHost: "mail.example.com", IPs: []netip.Addr{ip4, ip6},
		PTR: map[netip.Addr]bool{ip4: true, ip6: true},
		SPF: "v=spf1 include:_spf.example.com -all",
		Extra: map[string]string{"_spf.example.com": "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/64 -all",
			"example.com._report._dmarc.reports.example.net": "v=DMARC1"},
		Selector: "s1", DKIM: rec, DMARC: "v=DMARC1; p=reject; rua=mailto:d@reports.example.net",
	}
	if bare {
		s.SPF, s.DKIM, s.DMARC, s.PTR = "", "", "", nil
	}
	zone, err := simzone.Zone(s)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := dnstest.Start(zone)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func run(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(IO{In: strings.NewReader(""), Out: &out, Err: &errb, Env: env}, args)
	return code, out.String(), errb.String()
}

func checkArgs(resolver string, extra ...string) []string {
	return append([]string{"check", "--resolver", resolver, "--domain", "example.com", "--ip", "192.0.2.10",
		"--ip", "2001:db8::10", "--helo", "mail.example.com", "--selector", "s1"}, extra...)
}

func TestCheckJSONContractAndExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name string
		bare bool
		exit int
	}{{"healthy sender exits 0", false, ExitOK}, {"bare VPS exits 1", true, ExitFailed}} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := run(t, nil, checkArgs(world(t, tc.bare), "--format", "json", "--dkim-key", keyFile)...)
			if code != tc.exit {
				t.Fatalf("exit %d, want %d; stderr %s", code, tc.exit, stderr)
			}
			var rep struct {
				Score  *float64 `json:"score"`
				Max    float64  `json:"max"`
				Checks []struct {
					ID, Status, Title string
					Fix               *struct{ Summary string }
				} `json:"checks"`
				Queries []struct{ Name, Type, Outcome string } `json:"queries"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			if rep.Score == nil || rep.Max != 10 || len(rep.Checks) != len(catalog.DNS()) || len(rep.Queries) == 0 {
				t.Fatalf("JSON shape: score %v max %v, %d checks, %d queries", rep.Score, rep.Max, len(rep.Checks), len(rep.Queries))
			}
			for _, c := range rep.Checks {
				if c.ID == "" || c.Status == "" || c.Title == "" {
					t.Errorf("incomplete check %+v", c)
				}
				if c.Status == "fail" && c.Fix == nil {
					t.Errorf("%s fails without a fix", c.ID)
				}
			}
			if tc.bare == (*rep.Score == 10) {
				t.Errorf("score %.1f", *rep.Score)
			}
		})
	}
}

func TestCheckTextIsPlainWithoutATerminalAndFitsEightyColumns(t *testing.T) {
	code, out, _ := run(t, []string{"NO_COLOR=yes"}, checkArgs(world(t, true))...)
	if code != ExitFailed {
		t.Fatalf("exit %d", code)
	}
	if strings.Contains(out, "\x1b[") {
		t.Fatal("escape sequences in output to a non-terminal")
	}
	for _, want := range []string{"✗ fail  spf.record", "Score ", `example.com. IN TXT "v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 -all"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		// Records stay whole for copying; everything else wraps at 80.
		if len([]rune(line)) > 80 && !strings.Contains(line, " IN ") {
			t.Errorf("line over 80 columns: %q", line)
		}
	}
}

func TestVerboseShowsTheQueryLog(t *testing.T) {
	_, out, _ := run(t, nil, checkArgs(world(t, false), "-v")...)
	if !strings.Contains(out, "DNS queries (") || !strings.Contains(out, "_dmarc.example.com TXT ok") {
		t.Fatalf("-v output lacks the query log:\n%s", out)
	}
}

func TestUsageErrorsExitTwoWithASpecificMessage(t *testing.T) {
	for name, args := range map[string][]string{
		"--ip":                  {"check", "--resolver", "127.0.0.1:1", "--domain", "example.com", "--ip", "300.1.1.1"},
		"--domain":              {"check", "--resolver", "127.0.0.1:1", "--ip", "192.0.2.1"},
		"--format":              {"check", "--resolver", "127.0.0.1:1", "--domain", "example.com", "--format", "xml"},
		"--dkim-key":            {"check", "--resolver", "127.0.0.1:1", "--domain", "example.com", "--dkim-key", "/nonexistent"},
		"unknown flag":          {"check", "--bogus"},
		"spf --ip":              {"spf", "--ip", "nope", "--sender", "a@example.com"},
		"spf needs an identity": {"spf", "--ip", "192.0.2.1"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := run(t, nil, args...)
			if code != ExitError || !strings.HasPrefix(stderr, "mailcred: ") {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
		})
	}
}

func TestKeyMaterialNeverPrinted(t *testing.T) {
	pem, _ := os.ReadFile(keyFile)
	body := strings.Split(string(pem), "\n")[3] // a line of the key's base64
	_, out, stderr := run(t, nil, checkArgs(world(t, false), "--dkim-key", keyFile, "-v", "--format", "json")...)
	if strings.Contains(out+stderr, body) {
		t.Fatal("private key material in the output")
	}
}

func TestSPFCommand(t *testing.T) {
	addr := world(t, false)
	code, out, _ := run(t, nil, "spf", "--resolver", addr, "--ip", "192.0.2.10", "--sender", "bounce@example.com", "--format", "json")
	var ev struct {
		Result      string          `json:"result"`
		Explanation *string         `json:"explanation"`
		Lookups     int             `json:"lookups"`
		VoidLookups *int            `json:"void_lookups"`
		Tree        json.RawMessage `json:"tree"`
	}
	if err := json.Unmarshal([]byte(out), &ev); err != nil || code != ExitOK {
		t.Fatalf("exit %d, %v\n%s", code, err, out)
	}
	if ev.Result != "pass" || ev.Lookups != 1 || ev.VoidLookups == nil || ev.Explanation == nil || len(ev.Tree) < 10 {
		t.Fatalf("spf JSON: %+v", ev)
	}
	code, out, _ = run(t, nil, "spf", "--resolver", addr, "--ip", "198.51.100.1", "--sender", "bounce@example.com")
	if code != ExitFailed || !strings.Contains(out, "SPF fail") || !strings.Contains(out, "include:_spf.example.com") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	code, _, _ = run(t, nil, "spf", "--resolver", "127.0.0.1:1", "--timeout", "100ms", "--ip", "192.0.2.10", "--sender", "a@example.com")
	if code != ExitIncomplete {
		t.Fatalf("temperror exits %d, want 3 (could not check)", code)
	}
}

func TestHelpVersionAndCompletion(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"check", "--help"}, {"spf", "--help"}, {"completion", "--help"}} {
		if code, out, _ := run(t, nil, args...); code != ExitOK || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: exit %d\n%s", args, code, out)
		}
	}
	if code, out, _ := run(t, nil, "--version"); code != ExitOK || !strings.Contains(out, "mailcred version") {
		t.Errorf("--version: %d %q", code, out)
	}
	if code, out, _ := run(t, nil, "completion", "bash"); code != ExitOK || !strings.Contains(out, "bash completion") {
		t.Errorf("completion bash: %d", code)
	}
}

func TestWorkbenchWithoutATerminalExplainsWhatToDo(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	code, _, stderr := run(t, nil)
	if code != ExitError || !strings.Contains(stderr, "no profile") || !strings.Contains(stderr, "mailcred demo") {
		t.Fatalf("no profile, no terminal: exit %d, %q", code, stderr)
	}
	code, _, stderr = run(t, nil, "--from", "you@example.com", "--ip", "192.0.2.25")
	if code != ExitError || !strings.Contains(stderr, "needs a terminal") {
		t.Fatalf("profile from flags, no terminal: exit %d, %q", code, stderr)
	}
	code, _, stderr = run(t, nil, "--from", "not an address")
	if code != ExitError || !strings.Contains(stderr, "from:") {
		t.Fatalf("bad --from: exit %d, %q", code, stderr)
	}
}

// The workbench's --via names every route it takes, as send's does (mta
// was missing from its help, though the profile and ParseRoute take it).
func TestWorkbenchViaHelpNamesEveryRoute(t *testing.T) {
	_, out, _ := run(t, nil, "--help")
	if !strings.Contains(out, "route: mx, mta, HOST:PORT, sendmail or sendmail:PATH") {
		t.Errorf("mailcred --help:\n%s", out)
	}
}

// An unknown command says how to find the right one, as an unknown flag
// does, and suggests a near name.
func TestUnknownCommandPointsAtHelp(t *testing.T) {
	code, _, stderr := run(t, nil, "chek")
	if code != ExitError || !strings.Contains(stderr, `unknown command "chek" (did you mean check?)`) || !strings.Contains(stderr, "run 'mailcred --help'") {
		t.Errorf("exit %d %q", code, stderr)
	}
}
