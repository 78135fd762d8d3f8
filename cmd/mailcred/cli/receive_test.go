package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/netip"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/simzone"
	"github.com/mailcred/mailcred/session/smtpc"
)

// lockedBuffer is a bytes.Buffer the command writes from its sessions
// while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// receiveRun is `mailcred receive` running in the background under a
// context the test cancels: Main's own context only ends on SIGINT.
type receiveRun struct {
	out, err lockedBuffer
	cancel   context.CancelFunc
	code     chan int
	addr     string
}

var listeningRE = regexp.MustCompile(`listening on (\S+) as`)

// startReceive runs the command, waits for its listening line and
// returns; env is the process environment the command sees.
func startReceive(t *testing.T, env []string, args ...string) *receiveRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &receiveRun{cancel: cancel, code: make(chan int, 1)}
	go func() {
		r.code <- runWithContext(ctx, IO{In: strings.NewReader(""), Out: &r.out, Err: &r.err, Env: env}, args)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for r.addr == "" {
		if m := listeningRE.FindStringSubmatch(r.out.String() + r.err.String()); m != nil {
			r.addr = m[1]
			break
		}
		select {
		case code := <-r.code:
			t.Fatalf("receive exited %d before listening; stderr %s", code, r.err.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no listening line; stdout %q stderr %q", r.out.String(), r.err.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The banner's last line ("Try: swaks …") says it is all written.
	for !strings.Contains(r.out.String()+r.err.String(), "Try: swaks") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels the command and returns its exit status; it must end
// within a bounded time.
func (r *receiveRun) stop(t *testing.T) int {
	t.Helper()
	r.cancel()
	select {
	case code := <-r.code:
		r.code <- code // stop may be called again by the cleanup
		return code
	case <-time.After(5 * time.Second):
		t.Fatal("receive still running 5s after cancel")
		return -1
	}
}

// runWithContext is Main with the caller's context instead of SIGINT's,
// mapping errors to exit codes the same way.
func runWithContext(ctx context.Context, stdio IO, args []string) int {
	return MainContext(ctx, stdio, args)
}

// loopbackWorld is example.com sending from 127.0.0.1 — SPF, PTR, the
// DKIM key of testdata at s1, DMARC reject — so a message delivered over
// loopback is judged as if from a well-set-up VPS.
func loopbackWorld(t *testing.T) string {
	t.Helper()
	return loopbackServer(t).Addr
}

// loopbackServer is loopbackWorld's DNS server, for tests that count its
// questions.
func loopbackServer(t *testing.T) *dnstest.Server {
	t.Helper()
	key, err := dkim.LoadPrivateKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := dkim.RecordForKey(key.Public())
	lo := netip.MustParseAddr("127.0.0.1")
	zone, err := simzone.Zone(simzone.Setup{
		Domain: "example.com", MailHost: "mail.example.com", IPs: []netip.Addr{lo},
		PTR: map[netip.Addr]bool{lo: true}, SPF: "v=spf1 ip4:127.0.0.1 -all",
		Selector: "s1", DKIM: rec, DMARC: "v=DMARC1; p=reject",
	})
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

func sendTo(t *testing.T, addr string, to string, msg []byte) (*smtpc.Delivery, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return smtpc.Deliver(ctx, smtpc.Options{Addr: addr, HELO: "mail.example.com"},
		smtpc.Envelope{From: "alice@example.com", To: []string{to}}, msg)
}

// goroutinesSettle fails the test if goroutines started during it outlive
// it.
func goroutinesSettle(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<16)
			t.Errorf("%d goroutines left (had %d):\n%s", n-before, before, buf[:runtime.Stack(buf, true)])
		}
	})
}

// receiveLine is the part of an NDJSON line the tests read.
type receiveLine struct {
	Score                 *float64 `json:"score"`
	Max                   float64  `json:"max"`
	Peer, HELO            string
	MailFrom              string   `json:"mail_from"`
	Rcpts                 []string `json:"rcpts"`
	AuthenticationResults string   `json:"authentication_results"`
	Checks                []struct{ ID, Status string }
}

func (l receiveLine) status(id string) string {
	for _, c := range l.Checks {
		if c.ID == id {
			return c.Status
		}
	}
	return "absent"
}

func TestReceivePrintsOneJSONLinePerMessage(t *testing.T) {
	goroutinesSettle(t)
	dns := loopbackWorld(t)
	r := startReceive(t, nil, "receive", "--listen", "127.0.0.1:0", "--resolver", dns, "--format", "json",
		"--domain", "example.org", "--hostname", "mx.test")
	if !strings.Contains(r.err.String(), "Warning: this server accepts mail from anyone, for example.org only") ||
		!strings.Contains(r.err.String(), "self-signed certificate for mx.test") {
		t.Errorf("banner on stderr:\n%s", r.err.String())
	}
	for _, m := range []struct {
		msg   []byte
		reply string
	}{{goodMessage(t), "scored 10.0/10, thank you"}, {storyMessage(), "scored 7.8/10, thank you (fail: dkim.signature headers.to)"}} {
		d, err := sendTo(t, r.addr, "bob@example.org", m.msg)
		if err != nil || d.Final.Code != 250 || d.Final.Message() != m.reply {
			t.Fatalf("delivery: %v; reply %q, want %q", err, d.Final.Lines, m.reply)
		}
	}
	_, err := sendTo(t, r.addr, "victim@example.net", goodMessage(t))
	var re *smtpc.ReplyError
	if !errors.As(err, &re) || re.Reply.Code != 550 || re.Reply.Enhanced != "5.7.1" || !strings.Contains(re.Reply.Message(), "relaying denied") {
		t.Errorf("relay attempt: %v", err)
	}

	if code := r.stop(t); code != ExitOK {
		t.Fatalf("exit %d after cancel; stderr %s", code, r.err.String())
	}
	lines := strings.Split(strings.TrimSuffix(r.out.String(), "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines on stdout, want 2 (one per scored message):\n%s", len(lines), r.out.String())
	}
	for i, want := range []struct {
		score   float64
		dkim    string
		to      string
		authDKI string
	}{{10, "pass", "pass", "dkim=pass"}, {7.8, "fail", "fail", "dkim=none"}} {
		var l receiveLine
		if err := json.Unmarshal([]byte(lines[i]), &l); err != nil {
			t.Fatalf("line %d not JSON: %v\n%s", i+1, err, lines[i])
		}
		if l.Score == nil || *l.Score != want.score || l.Max != 10 {
			t.Errorf("line %d: score %v/%v, want %v", i+1, l.Score, l.Max, want.score)
		}
		if l.status("dkim.signature") != want.dkim || l.status("headers.to") != want.to || l.status("spf.result") != "pass" {
			t.Errorf("line %d: dkim.signature %s, headers.to %s, spf.result %s", i+1,
				l.status("dkim.signature"), l.status("headers.to"), l.status("spf.result"))
		}
		if !strings.HasPrefix(l.AuthenticationResults, "mx.test; spf=pass") || !strings.Contains(l.AuthenticationResults, want.authDKI) {
			t.Errorf("line %d: authentication_results %q", i+1, l.AuthenticationResults)
		}
		if l.HELO != "mail.example.com" || l.MailFrom != "alice@example.com" || len(l.Rcpts) != 1 || !strings.HasPrefix(l.Peer, "127.0.0.1:") {
			t.Errorf("line %d: envelope %+v", i+1, l)
		}
	}
	if !strings.Contains(r.err.String(), "stopped after 2 message(s)") {
		t.Errorf("no stop line on stderr:\n%s", r.err.String())
	}
}

func TestReceiveTextShowsAuthenticationResultsChecksAndScore(t *testing.T) {
	goroutinesSettle(t)
	dns := loopbackWorld(t)
	r := startReceive(t, []string{"NO_COLOR=1"}, "receive", "--listen", "127.0.0.1:0", "--resolver", dns, "--hostname", "mx.test")
	if _, err := sendTo(t, r.addr, "anyone@anywhere.example", storyMessage()); err != nil {
		t.Fatal(err)
	}
	r.stop(t)
	out := r.out.String()
	for _, want := range []string{
		"Warning: this server accepts mail from anyone, for any recipient domain",
		"Message 1 ", "HELO mail.example.com · TLS 1.3",
		"MAIL FROM <alice@example.com> → anyone@anywhere.example",
		"Authentication-Results: mx.test;", "dkim=none",
		"✗ fail  dkim.signature", "✗ fail  headers.to", "✓ pass  spf.result",
		"Score 7.8/10",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Error("escape sequences in output to a non-terminal")
	}
	if t.Failed() {
		t.Log(out)
	}
}

func TestReceiveUsageErrors(t *testing.T) {
	for name, args := range map[string][]string{
		"no --listen":            {"receive"},
		"--tls-cert without key": {"receive", "--listen", "127.0.0.1:0", "--tls-cert", "x.pem"},
		"unreadable certificate": {"receive", "--listen", "127.0.0.1:0", "--tls-cert", "/nonexistent", "--tls-key", "/nonexistent"},
		"--max-size":             {"receive", "--listen", "127.0.0.1:0", "--max-size", "ten"},
		"--format":               {"receive", "--listen", "127.0.0.1:0", "--format", "xml"},
		"--domain":               {"receive", "--listen", "127.0.0.1:0", "--resolver", "127.0.0.1:1", "--domain", "not a domain"},
		"bad listen address":     {"receive", "--listen", "127.0.0.1:99999", "--resolver", "127.0.0.1:1"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := run(t, nil, args...)
			if code != ExitError || !strings.HasPrefix(stderr, "mailcred: ") {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1048576": 1 << 20, "512K": 512 << 10, "512k": 512 << 10, "10M": 10 << 20, " 64M ": 64 << 20} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1", "10G", "65M", "M", "1.5M"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) accepted", in)
		}
	}
}

// The HELO name's SPF lookup fails temporarily (SERVFAIL) while MAIL FROM
// passes: receive reports spf.result as not checked, in the reply and the
// JSON line, never as pass or fail.
func TestReceiveHELOTemperrorIsNotChecked(t *testing.T) {
	goroutinesSettle(t)
	srv := loopbackServer(t)
	srv.SetFault("helo.example.net", dnstest.ServFail)
	r := startReceive(t, nil, "receive", "--listen", "127.0.0.1:0", "--resolver", srv.Addr, "--format", "json", "--hostname", "mx.test")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := smtpc.Deliver(ctx, smtpc.Options{Addr: r.addr, HELO: "helo.example.net"},
		smtpc.Envelope{From: "alice@example.com", To: []string{"bob@example.org"}}, goodMessage(t))
	if err != nil || d.Final.Code != 250 || !strings.Contains(d.Final.Message(), "spf.result") {
		t.Fatalf("delivery: %v; reply %q should name spf.result as not checked", err, d.Final.Lines)
	}
	r.stop(t)
	var l receiveLine
	if err := json.Unmarshal([]byte(strings.TrimSpace(r.out.String())), &l); err != nil {
		t.Fatalf("not one JSON line: %v\n%s", err, r.out.String())
	}
	if got := l.status("spf.result"); got != "error" {
		t.Errorf("spf.result %s, want error", got)
	}
	if !strings.Contains(l.AuthenticationResults, "spf=temperror smtp.helo=helo.example.net") {
		t.Errorf("authentication_results %q", l.AuthenticationResults)
	}
}

// A --listen that is no HOST:PORT, or a port another server holds, is
// said in the user's terms, not as the relay warning or Go's "listen tcp
// …: bind: address already in use".
func TestReceiveListenProblemsAreNamed(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for args, want := range map[[2]string]string{
		{"nonsense", ""}:              `--listen "nonsense": want HOST:PORT`,
		{taken.Addr().String(), "in"}: taken.Addr().String() + " is in use by another program",
	} {
		code, _, stderr := run(t, nil, "receive", "--listen", args[0], "--resolver", "127.0.0.1:1")
		if code != ExitError || !strings.Contains(stderr, want) || strings.Contains(stderr, "listen tcp") {
			t.Errorf("--listen %s: exit %d %q, want %q", args[0], code, stderr, want)
		}
	}
}
