package interop

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/mail"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session"
	"github.com/mailcred/mailcred/session/compose"
	"github.com/mailcred/mailcred/session/keygen"
	"github.com/mailcred/mailcred/session/mta"
)

// eximSender is a sending exim for one test: its own spool and log, the
// capture router in front, and remote_smtp carrying the DKIM options
// keygen (and so onboarding) writes for exim. It never listens: each send
// is a foreground delivery (-odf) run by the MTA route.
type eximSender struct {
	cmd   mta.Command
	runAs *syscall.Credential
	dir   string
}

const eximSenderConfig = `# mailcred session/interop: a sending exim for one test
primary_hostname = mail.sender.test
exim_user = %[1]d
exim_group = %[2]d
never_users = root
keep_environment =
spool_directory = %[3]s/spool
log_file_path = %[3]s/log/%%slog
host_lookup =
rfc1413_hosts =

begin routers
%[4]s
begin transports
remote_smtp:
  driver = smtp
  hosts_avoid_tls = *
%[5]s
%[6]s

begin retry
*  *  F,2h,15m; G,16h,1h,1.5; F,4d,6h
`

// startEximSender writes the configuration; route is where every domain
// goes (the capture, or a closed port).
func startEximSender(t *testing.T, route netip.AddrPort, key *rsa.PrivateKey) *eximSender {
	t.Helper()
	bin := lookPeer(t, eximInstall, "exim4", "exim")
	uid, gid, cred := peerUser(t)
	dir := t.TempDir()
	for _, d := range []string{"spool", "log"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	keyPath := filepath.Join(dir, "dkim.pem")
	if err := keygen.WriteKey(keyPath, key); err != nil {
		t.Fatal(err)
	}
	setup, err := keygen.Instructions(senderDomain, selector, keyPath, key.Public())
	if err != nil {
		t.Fatal(err)
	}
	dkimOptions := ""
	for _, m := range setup.MTAs {
		if strings.HasPrefix(m.Name, "exim4") && len(m.Files) > 0 {
			dkimOptions = m.Files[0].Text
			break
		}
	}
	if !strings.Contains(dkimOptions, "dkim_canon = relaxed") {
		t.Fatalf("keygen's exim options lack dkim_canon = relaxed:\n%s", dkimOptions)
	}
	router := strings.Replace(mta.EximCaptureRouter(route, ""), "domains = "+mta.CaptureDomain, "domains = *", 1)
	conf := fmt.Sprintf(eximSenderConfig, uid, gid, dir, router, mta.EximLoopbackTransport, dkimOptions)
	confPath := filepath.Join(dir, "exim.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if cred != nil {
		giveTo(t, dir, uid, gid)
	}
	return &eximSender{cmd: mta.Command{Kind: mta.Exim, Argv: []string{bin, "-C", confPath}}, runAs: cred, dir: dir}
}

// dkimWorld serves the sender's DKIM record on a loopback DNS server.
func dkimWorld(t *testing.T, key *rsa.PrivateKey) *dnsx.Resolver {
	t.Helper()
	rec, err := dkim.RecordForKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	var quoted []string
	for _, s := range scoring.SplitTXT(rec) {
		quoted = append(quoted, strconv.Quote(s))
	}
	srv, err := dnstest.Start("test. IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300\n" +
		selector + "._domainkey." + senderDomain + ". IN TXT " + strings.Join(quoted, " ") + "\n")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	r, err := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Timeout: time.Second, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mtaPlan(x *eximSender, to string) session.Plan {
	return session.Plan{
		Message: compose.Message{From: mail.Address{Name: "Alice", Address: fromAddr}, To: []mail.Address{{Address: to}},
			Subject: "through exim", Body: "Hello through the MTA route.\n"},
		Route: session.Route{Kind: session.ViaMTA, MTA: x.cmd},
		MTA:   mta.Options{RunAs: x.runAs},
	}
}

func rsaKey(t *testing.T) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Through the MTA route, exim signs with the options keygen writes, and
// the closed loop verifies the signature exim made against DNS; the
// transcript is exim's own dialogue with the capture, and the outcome
// is delivered with the capture's 250.
func TestEximSignsThroughTheMTARouteAndTheLoopVerifies(t *testing.T) {
	key := rsaKey(t)
	capture, err := mta.StartCapture("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer capture.Close()
	x := startEximSender(t, capture.Addr(), key)
	r := dkimWorld(t, key)
	rec := &recorder{}
	o, err := session.Send(testContext(t), mtaPlan(x, "check@"+mta.CaptureDomain), r, rec.add)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("transcript:\n%s", rec.transcript())
	if o.Verdict != smtpx.Accepted || o.MTA.Status != mta.StatusDelivered || o.Reply.Code != 250 {
		t.Fatalf("verdict %v, mta %+v", o.Verdict, o.MTA)
	}
	if o.SignInfo != nil {
		t.Error("mailcred signed on the MTA route without --sign")
	}
	if o.HELO != "mail.sender.test" {
		t.Errorf("HELO %q, want exim's primary_hostname", o.HELO)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := capture.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	obs := mta.Observe(ctx, o.Message, got, r)
	if !obs.Signed() || len(obs.Signatures) != 1 {
		t.Fatalf("closed loop: signatures %+v (%s), want one that verifies", obs.Signatures, obs.SignErr)
	}
	s := obs.Signatures[0]
	if s.Domain != senderDomain || s.Selector != selector || s.Algorithm != "rsa-sha256" || !strings.HasPrefix(s.Canonicalization, "relaxed") {
		t.Errorf("signature d=%s s=%s a=%s c=%s", s.Domain, s.Selector, s.Algorithm, s.Canonicalization)
	}
	if obs.HELO != "mail.sender.test" || obs.Family != "IPv4" || !obs.Source.Addr().IsLoopback() {
		t.Errorf("observed HELO %q from %v (%s)", obs.HELO, obs.Source, obs.Family)
	}
	added := strings.Join(obs.Added, " ")
	if !strings.Contains(added, "DKIM-Signature") || !strings.Contains(added, "Received") {
		t.Errorf("added fields %q, want exim's Received and DKIM-Signature", added)
	}
}

// A remote refusal at RCPT bounces the message; exim's bounce to the
// sender is refused too and frozen. The route reports rejected (bounced)
// with the remote's reply, never accepted, and notes the frozen bounce.
func TestEximBounceAndFrozenBounceThroughTheMTARoute(t *testing.T) {
	key := rsaKey(t)
	capture, err := mta.StartCapture("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer capture.Close()
	x := startEximSender(t, capture.Addr(), key)
	rec := &recorder{}
	o, err := session.Send(testContext(t), mtaPlan(x, "bob@refused.test"), nil, rec.add)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("transcript:\n%s", rec.transcript())
	if o.Verdict != smtpx.Rejected || o.MTA.Status != mta.StatusBounced || o.Reply.Code != 550 {
		t.Fatalf("verdict %v reply %v mta %+v, want rejected (bounced) with 550", o.Verdict, o.Reply, o.MTA)
	}
	frozen := false
	for _, n := range o.MTA.Notes {
		frozen = frozen || strings.Contains(n, "froze")
	}
	if !frozen {
		t.Errorf("notes %q do not report the frozen bounce", o.MTA.Notes)
	}
}

// A closed port defers the message; the retry time comes from exim's
// retry database.
func TestEximDeferralHasItsRetryTime(t *testing.T) {
	closed := netip.MustParseAddrPort("127.0.0.1:" + strconv.Itoa(freeLoopbackPort(t)))
	x := startEximSender(t, closed, rsaKey(t))
	rec := &recorder{}
	before := time.Now()
	o, err := session.Send(testContext(t), mtaPlan(x, "bob@"+mta.CaptureDomain), nil, rec.add)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("transcript:\n%s", rec.transcript())
	if o.Verdict != smtpx.Deferred || o.MTA.Status != mta.StatusDeferred {
		t.Fatalf("verdict %v mta %+v, want deferred", o.Verdict, o.MTA)
	}
	if o.MTA.RetryAt.Before(before.Add(10*time.Minute)) || o.MTA.RetryAt.After(before.Add(20*time.Minute)) {
		t.Errorf("retry at %v (%s), want about 15 minutes after %v (rule F,2h,15m)", o.MTA.RetryAt, o.MTA.RetryNote, before)
	}
}
