package session

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/scoring/transport"
	"github.com/mailcred/mailcred/session/compose"
	"github.com/mailcred/mailcred/session/sign"
	"github.com/mailcred/mailcred/session/smtpc"
	"github.com/mailcred/mailcred/session/smtptest"
)

func TestSendAcceptedWithSTARTTLSAuthAndDKIM(t *testing.T) {
	key := loadKey(t)
	r := world(t, key)
	srv, _ := startSMTP(t, smtptest.Options{Users: map[string]string{testUser: testPassword}, RequireAuth: true})
	plan := Plan{
		Message:            draft(),
		Route:              Route{Kind: ViaHost, HostPort: srv.Addr(), TLS: smtpc.TLSStartTLS},
		HELO:               "mail.sender.test",
		Auth:               &smtpc.Credentials{User: testUser, Password: testPassword},
		DKIM:               &sign.Options{Domain: "sender.test", Selector: "s1", Key: key},
		RequireVerifiedTLS: true,
		RootCAs:            srv.CertPool(),
		Timeouts:           quickTimeouts(),
	}
	before := plan
	before.Message.To = append(before.Message.To[:0:0], plan.Message.To...)
	rec := &recorder{}

	o, err := Send(context.Background(), plan, r, rec.add)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if o.Verdict != smtpx.Accepted || o.Stage != smtpx.EndOfData || o.Reply.Code != 250 {
		t.Fatalf("outcome %s at %s %v\n%s", o.Verdict, o.Stage, o.Reply.Lines, rec.text())
	}
	if !reflect.DeepEqual(plan, before) {
		t.Error("Send changed the plan")
	}

	msgs, err := srv.WaitMessages(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	got := msgs[0]
	if !got.TLS || got.User != testUser || got.Helo != "mail.sender.test" || got.From != "a@sender.test" {
		t.Errorf("server saw %+v", got)
	}
	// The signature of the bytes the server received verifies.
	if err := dkim.VerifyOffline(got.Data, key); err != nil {
		t.Errorf("received message does not verify: %v", err)
	}
	if string(got.Data) != string(o.Message) {
		t.Error("Outcome.Message is not what the server received")
	}

	if o.SignInfo == nil || o.SignInfo.Bits != 2048 || len(o.PublishedDKIM) != 1 || o.PublishedDKIM[0].Status != dkim.Pass {
		t.Errorf("DKIM: %+v / %+v", o.SignInfo, o.PublishedDKIM)
	}
	// The offline verification made before sending is the outcome's, per
	// signature (the pane and the JSON show it; nothing verifies twice).
	if len(o.OfflineDKIM) != 1 || o.OfflineDKIM[0].Status != dkim.Pass || o.OfflineDKIM[0].Selector != o.SignInfo.Selector {
		t.Errorf("offline DKIM: %+v", o.OfflineDKIM)
	}
	transcript := rec.text()
	for _, want := range []string{
		"»   signing with s1._domainkey.sender.test rsa-sha256 2048 bits",
		"signature verifies against the private key",
		"published key s1._domainkey.sender.test: pass",
		"=== Trying " + srv.Addr(),
		"~>  AUTH PLAIN ****",
		"<~  250 2.0.0 OK: queued",
	} {
		if !strings.Contains(transcript, want) {
			t.Errorf("transcript lacks %q:\n%s", want, transcript)
		}
	}
	// Who wrote each line is typed where the event is made: the wire's
	// lines are the conversation's, the notes (signing, verification)
	// mailcred's own.
	for _, e := range rec.events {
		want := smtpc.FromWire
		if e.Kind == smtpc.KindInfo || e.Kind == smtpc.KindError {
			want = smtpc.FromClient
		}
		if e.Source != want {
			t.Errorf("%v event %q from %v, want %v", e.Kind, e.Lines, e.Source, want)
		}
	}
	if len(o.Transcript) != len(rec.events) {
		t.Errorf("Outcome.Transcript has %d events, the callback saw %d", len(o.Transcript), len(rec.events))
	}
	for i := 1; i < len(o.Transcript); i++ {
		if o.Transcript[i].At < o.Transcript[i-1].At {
			t.Fatalf("event %d goes back in time", i)
		}
	}

	// What the checks see.
	f := o.Facts
	if f.Route != srv.Addr() || !f.TLS || !f.CertVerified || !f.StartTLSOffered || f.Outcome != smtpx.Accepted || f.Code != 250 ||
		f.TLSMode != "starttls" || f.TLSError != "" || f.CertError != "" {
		t.Errorf("facts %+v", f)
	}
	ev := o.Evidence(plan)
	if len(ev.IPs) != 1 || ev.IPs[0].String() != "127.0.0.1" || ev.Domain != "sender.test" || ev.Selector != "s1" ||
		ev.HELO != "mail.sender.test" || ev.SMTP == nil || len(ev.Message) == 0 {
		t.Errorf("evidence %+v", ev)
	}
	nat := o.Evidence(plan, netip.MustParseAddr("::ffff:192.0.2.10"))
	if len(nat.IPs) != 1 || nat.IPs[0].String() != "192.0.2.10" || nat.SMTP.Local != "192.0.2.10" || o.Facts.Local == "192.0.2.10" {
		t.Errorf("the sending IP given does not replace the local address: %v %q", nat.IPs, nat.SMTP.Local)
	}
	results := scoring.RunAll(context.Background(), &scoring.Env{Evidence: ev, DNS: r}, transport.Checks())
	for _, res := range results {
		if res.Status != scoring.Pass {
			t.Errorf("%s: %v %s", res.ID, res.Status, res.Title)
		}
	}

	// The password is nowhere: not in the transcript, the JSON or the plan's %v.
	js, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	everything := transcript + string(js) + fmt.Sprintf("%v %+v %#v", plan, plan, plan)
	for _, secret := range secrets() {
		if strings.Contains(everything, secret) {
			t.Fatalf("secret %q leaked", secret)
		}
	}
}

// secrets are the password and the base64 forms that carry it.
func secrets() []string {
	return []string{
		testPassword,
		base64.StdEncoding.EncodeToString([]byte(testPassword)),
		base64.StdEncoding.EncodeToString([]byte("\x00" + testUser + "\x00" + testPassword)),
	}
}

func TestSendRejectedAtMAILByOutlookS3140(t *testing.T) {
	r := world(t, loadKey(t))
	s3140 := smtptest.Reply{Code: 550, Enhanced: "5.7.1", Lines: []string{
		"Unfortunately, messages from [127.0.0.1] weren't sent. Please contact your Internet service provider since part " +
			"of their network is on our block list (S3140). You can also refer your provider to " +
			"http://mail.live.com/mail/troubleshooting.aspx#errors. [Name=Protocol Filter Agent][AGT=PFA]"}}
	srv, _ := startSMTP(t, smtptest.Options{Domain: "outlook.test", Policy: smtptest.RejectAt(smtpx.MAIL, s3140)})
	plan := Plan{Message: draft(), Route: Route{Kind: ViaHost, HostPort: srv.Addr()}, HELO: "mail.sender.test", Timeouts: quickTimeouts()}

	o, err := Send(context.Background(), plan, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.Verdict != smtpx.Rejected || o.Stage != smtpx.MAIL || o.Reply.Code != 550 || o.Reply.Enhanced != "5.7.1" {
		t.Fatalf("outcome %s at %s: %v", o.Verdict, o.Stage, o.Reply.Lines)
	}
	ex := o.Explanation
	if ex == nil || ex.EntryID != "outlook.s3140" || ex.Stage != smtpx.MAIL || ex.Outcome != smtpx.Rejected {
		t.Fatalf("explanation %+v", ex)
	}
	if !strings.Contains(ex.RulesOut, "MAIL FROM") || ex.Link == "" || ex.Fix == "" {
		t.Errorf("explanation lacks rules-out, fix or link: %+v", ex)
	}
	for _, id := range ex.Checks {
		if strings.HasPrefix(id, "dkim.") || strings.HasPrefix(id, "headers.") {
			t.Errorf("%s is related, though MAIL FROM comes before any content", id)
		}
	}
	if len(srv.Messages()) != 0 {
		t.Error("a refused message was received")
	}
	f := o.Facts
	if f.Outcome != smtpx.Rejected || f.Stage != smtpx.MAIL || f.Provider != "outlook" || f.Fix != ex.Fix || len(f.Related) == 0 {
		t.Errorf("facts %+v", f)
	}
	res := scoring.RunAll(context.Background(), &scoring.Env{Evidence: o.Evidence(plan)}, transport.Checks())
	if res[1].ID != transport.IDResponse || res[1].Status != scoring.Fail || !strings.Contains(res[1].Detail, "S3140") {
		t.Errorf("smtp.response: %+v", res[1])
	}
}

// TestSendMXDeferredThenNextHostAccepts: mx0 (preference 5) refuses the
// connection, mx1 (10) defers with 421, mx2 (20) accepts: RFC 5321 §5.1.
func TestSendMXDeferredThenNextHostAccepts(t *testing.T) {
	r := world(t, loadKey(t))
	good, goodConns := startSMTP(t, smtptest.Options{})
	busy, busyConns := startSMTP(t, smtptest.Options{Policy: smtptest.RejectAt(smtpx.MAIL,
		smtptest.Reply{Code: 421, Enhanced: "4.7.0", Lines: []string{"Try again later, closing connection."}})})
	p := port(t, good.Addr())
	forward(t, fmt.Sprintf("127.0.0.2:%d", p), busy.Addr())

	plan := Plan{Message: draft(), Route: Route{Kind: ViaMX, Port: p, Family: Family4}, HELO: "mail.sender.test",
		RootCAs: good.CertPool(), Timeouts: quickTimeouts()}
	rec := &recorder{}
	o, err := Send(context.Background(), plan, r, rec.add)
	if err != nil {
		t.Fatal(err)
	}
	if o.Verdict != smtpx.Accepted || o.Server != "mx2.rcpt.test" {
		t.Fatalf("outcome %s from %s\n%s", o.Verdict, o.Server, rec.text())
	}
	var got []string
	for _, a := range o.Attempts {
		got = append(got, fmt.Sprintf("%s %s %s %d", a.Host, a.Verdict, a.Stage, a.Reply.Code))
	}
	want := []string{"mx0.rcpt.test error connect 0", "mx1.rcpt.test deferred MAIL 421", "mx2.rcpt.test accepted end of data 250"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("attempts\n%q\nwant\n%q", got, want)
	}
	transcript := rec.text()
	for _, w := range []string{
		fmt.Sprintf("trying mx0.rcpt.test [127.0.0.3]:%d", p),
		fmt.Sprintf("trying mx1.rcpt.test [127.0.0.2]:%d", p),
		"mx1.rcpt.test deferred (421): trying the next address (RFC 5321 §5.1)",
		fmt.Sprintf("trying mx2.rcpt.test [127.0.0.1]:%d", p),
	} {
		if !strings.Contains(transcript, w) {
			t.Errorf("transcript lacks %q", w)
		}
	}
	if busyConns.Load() != 1 || goodConns.Load() != 1 || len(good.Messages()) != 1 || len(busy.Messages()) != 0 {
		t.Errorf("busy saw %d connections, good %d; messages %d/%d", busyConns.Load(), goodConns.Load(), len(busy.Messages()), len(good.Messages()))
	}
	// The MX certificate is verified against the MX name: opportunistic TLS, reported.
	if !o.Facts.TLS || !o.Facts.CertVerified || o.Facts.Server != "mx2.rcpt.test" || o.LocalAddr.Addr().String() != "127.0.0.1" {
		t.Errorf("facts %+v, local %v", o.Facts, o.LocalAddr)
	}
}

func TestSendAllMXDeferredIsDeferred(t *testing.T) {
	r := world(t, loadKey(t))
	busy, _ := startSMTP(t, smtptest.Options{Policy: smtptest.RejectAt(smtpx.RCPT,
		smtptest.Reply{Code: 450, Enhanced: "4.2.1", Lines: []string{"Mailbox busy"}})})
	p := port(t, busy.Addr())
	forward(t, fmt.Sprintf("127.0.0.2:%d", p), busy.Addr())
	plan := Plan{Message: draft(), Route: Route{Kind: ViaMX, Port: p}, Timeouts: quickTimeouts()}
	o, err := Send(context.Background(), plan, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A reply beats a failed connection: the verdict is the last deferral.
	if o.Verdict != smtpx.Deferred || o.Reply.Code != 450 || o.Server != "mx2.rcpt.test" || len(o.Attempts) != 3 {
		t.Fatalf("%s %d from %s after %d attempts", o.Verdict, o.Reply.Code, o.Server, len(o.Attempts))
	}
	if o.Explanation == nil || o.Explanation.Outcome != smtpx.Deferred || o.Explanation.Stage != smtpx.RCPT {
		t.Errorf("explanation %+v", o.Explanation)
	}
}

func TestSendToHostileServersEndsInBoundedTime(t *testing.T) {
	r := world(t, loadKey(t))
	for _, tc := range []struct {
		mode     smtptest.Mode
		tls      smtpc.TLSMode
		stage    smtpx.Stage
		tlsError string // the start of Facts.TLSError
	}{
		{smtptest.Stall, "", smtpx.EHLO, ""},
		{smtptest.EndlessReply, "", smtpx.EHLO, ""},
		{smtptest.DropTLS, smtpc.TLSStartTLS, smtpx.STARTTLS, "STARTTLS failed: "},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			h, err := smtptest.StartHostile(smtptest.Behaviour{Mode: tc.mode, MaxDuration: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { h.Close() })
			plan := Plan{Message: draft(), Route: Route{Kind: ViaHost, HostPort: h.Addr(), TLS: tc.tls},
				Timeouts: smtpc.Timeouts{Connect: time.Second, Command: 500 * time.Millisecond, Data: time.Second}}
			start := time.Now()
			o, err := Send(context.Background(), plan, r, nil)
			if err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %v", took)
			}
			if o.Verdict != smtpx.Failed || o.Stage != tc.stage || o.Err == "" || o.Explanation != nil {
				t.Errorf("outcome %s at %s: %s", o.Verdict, o.Stage, o.Err)
			}
			if o.Facts.Outcome != smtpx.Failed {
				t.Errorf("facts %+v", o.Facts)
			}
			// Why TLS was not used is TLSError; CertError is for certificates only.
			mode := cmp.Or(tc.tls, smtpc.TLSOpportunistic)
			if f := o.Facts; f.TLSMode != string(mode) || !strings.HasPrefix(f.TLSError, tc.tlsError) ||
				(tc.tlsError == "" && f.TLSError != "") || f.CertError != "" {
				t.Errorf("TLS facts: mode %q, TLSError %q, CertError %q; want mode %q, TLSError %q…", f.TLSMode, f.TLSError, f.CertError, mode, tc.tlsError)
			}
		})
	}
}

// TestSendTLSNoneSaysWhyInTheTLSFacts: with --tls none a server offering
// STARTTLS gets plaintext; the facts say so in TLSMode and TLSError, and
// tls.starttls tells the user to drop --tls none.
func TestSendTLSNoneSaysWhyInTheTLSFacts(t *testing.T) {
	r := world(t, loadKey(t))
	srv, _ := startSMTP(t, smtptest.Options{})
	plan := Plan{Message: draft(), Route: Route{Kind: ViaHost, HostPort: srv.Addr(), TLS: smtpc.TLSNone},
		HELO: "mail.sender.test", Timeouts: quickTimeouts()}
	o, err := Send(context.Background(), plan, r, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := o.Facts
	if o.Verdict != smtpx.Accepted || f.TLS || !f.StartTLSOffered || f.TLSMode != "none" ||
		f.TLSError != "not attempted: --tls none" || f.CertError != "" || f.CertVerified {
		t.Fatalf("outcome %s, facts %+v", o.Verdict, f)
	}
	res := scoring.RunAll(context.Background(), &scoring.Env{Evidence: o.Evidence(plan), DNS: r}, transport.Checks())
	if res[0].ID != transport.IDStartTLS || res[0].Status != scoring.Warn || res[0].Fix == nil ||
		!strings.Contains(res[0].Fix.Summary, "Drop --tls none") || !strings.Contains(res[0].Detail, "not attempted: --tls none") {
		t.Errorf("tls.starttls: %+v", res[0])
	}
}

func TestDescribeListsMXHostsWithoutConnecting(t *testing.T) {
	r := world(t, loadKey(t))
	srv, conns := startSMTP(t, smtptest.Options{})
	p := port(t, srv.Addr())
	relayed := forward(t, fmt.Sprintf("127.0.0.2:%d", p), srv.Addr())
	plan := Plan{Message: draft(), Route: Route{Kind: ViaMX, Port: p}}

	d, err := plan.Describe(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range d.Hosts {
		got = append(got, fmt.Sprintf("%d %s %v", h.Preference, h.Name, h.Targets()))
	}
	want := []string{
		fmt.Sprintf("5 mx0.rcpt.test [127.0.0.3:%d]", p),
		fmt.Sprintf("10 mx1.rcpt.test [127.0.0.2:%d]", p),
		fmt.Sprintf("20 mx2.rcpt.test [127.0.0.1:%d]", p),
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hosts\n%q\nwant\n%q", got, want)
	}
	if d.Domain != "rcpt.test" || d.Implicit || d.EnvelopeFrom != "a@sender.test" || !reflect.DeepEqual(d.Recipients, []string{"b@rcpt.test"}) {
		t.Errorf("destination %+v", d)
	}
	if d.Local == "" || !strings.Contains(d.LocalSource, "without sending anything") {
		t.Errorf("local %q (%s)", d.Local, d.LocalSource)
	}
	time.Sleep(50 * time.Millisecond)
	if conns.Load() != 0 || relayed.Load() != 0 {
		t.Errorf("Describe connected: %d, %d", conns.Load(), relayed.Load())
	}
}

func TestDescribe(t *testing.T) {
	r := world(t, loadKey(t))
	for _, tc := range []struct {
		name  string
		route Route
		rcpt  string
		want  string // hosts, or the error
	}{
		{"a --via host name is resolved through the resolver", Route{Kind: ViaHost, HostPort: "relay.test:587"}, "b@rcpt.test", "relay.test [127.0.0.1:587]"},
		{"an IP literal needs no lookup", Route{Kind: ViaHost, HostPort: "[2001:db8::25]:25"}, "b@rcpt.test", "2001:db8::25 [[2001:db8::25]:25]"},
		{"localhost is loopback, IPv6 first", Route{Kind: ViaHost, HostPort: "localhost:25"}, "b@rcpt.test", "localhost [[::1]:25 127.0.0.1:25]"},
		{"-4 keeps IPv4", Route{Kind: ViaHost, HostPort: "localhost:25", Family: Family4}, "b@rcpt.test", "localhost [127.0.0.1:25]"},
		{"-6 with only an A record has no address", Route{Kind: ViaHost, HostPort: "relay.test:25", Family: Family6}, "b@rcpt.test", "error: no server has an address to connect to (relay.test: no AAAA record (IPv6 only) (AAAA nodata))"},
		{"a null MX accepts no mail", Route{Kind: ViaMX}, "b@nullmx.test", "error: nullmx.test publishes a null MX"},
		{"a domain that does not exist", Route{Kind: ViaMX}, "b@nowhere.test", "error: the recipient domain nowhere.test does not exist (NXDOMAIN)"},
		{"an implicit MX is the domain itself", Route{Kind: ViaMX}, "b@relay.test", "relay.test [127.0.0.1:25]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := draft()
			m.To[0].Address = tc.rcpt
			d, err := Plan{Message: m, Route: tc.route}.Describe(context.Background(), r)
			var got string
			if err != nil {
				got = "error: " + err.Error()
			} else {
				var parts []string
				for _, h := range d.Hosts {
					parts = append(parts, fmt.Sprintf("%s %v", h.Name, h.Targets()))
				}
				got = strings.Join(parts, "; ")
			}
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
	d, err := Plan{Message: draft(), Route: Route{Kind: ViaSendmail}}.Describe(context.Background(), nil)
	if err != nil || d.Sendmail != smtpc.DefaultSendmail || strings.Join(d.SendmailArgs, " ") != "-v -i -f a@sender.test -- b@rcpt.test" {
		t.Errorf("sendmail: %+v %v", d, err)
	}
}

func TestSendRefusesAnInvalidPlanBeforeConnecting(t *testing.T) {
	srv, conns := startSMTP(t, smtptest.Options{})
	m := draft()
	m.From.Address = "not an address"
	m.Subject = "two\r\nBcc: everyone@example.com"
	m.To = nil
	plan := Plan{Message: m, Route: Route{Kind: ViaHost, HostPort: srv.Addr()}, Auth: &smtpc.Credentials{User: "u"},
		HELO: "bad helo", EnvelopeFrom: "x@y>", DKIM: &sign.Options{Domain: "sender.test"}}
	o, err := Send(context.Background(), plan, nil, nil)
	var pe *PlanError
	if o != nil || !errors.As(err, &pe) {
		t.Fatalf("outcome %v, error %v", o, err)
	}
	var fields []string
	for _, p := range pe.Problems {
		var fe *compose.FieldError
		if !errors.As(p, &fe) {
			t.Errorf("problem %v is not a *compose.FieldError", p)
			continue
		}
		fields = append(fields, fe.Field)
	}
	for _, want := range []string{"From", "To", "Subject", "HELO", "Auth", "EnvelopeFrom", "DKIM"} {
		if !strings.Contains(" "+strings.Join(fields, " ")+" ", " "+want+" ") {
			t.Errorf("no problem reported for %s (got %v)", want, fields)
		}
	}
	if conns.Load() != 0 {
		t.Error("something connected")
	}
}

func TestSendViaSendmail(t *testing.T) {
	script, out := fakeSendmail(t)
	for _, tc := range []struct {
		exit    string
		verdict smtpx.Outcome
	}{{"0", smtpx.Accepted}, {"75", smtpx.Deferred}, {"78", smtpx.Failed}} {
		t.Run("exit "+tc.exit, func(t *testing.T) {
			t.Setenv("FAKE_SENDMAIL_EXIT", tc.exit)
			t.Setenv("FAKE_SENDMAIL_OUT", out)
			plan := Plan{Message: draft(), Route: Route{Kind: ViaSendmail, SendmailPath: script}}
			rec := &recorder{}
			o, err := Send(context.Background(), plan, nil, rec.add)
			if err != nil {
				t.Fatal(err)
			}
			if o.Verdict != tc.verdict || o.Facts.Route != "sendmail" || o.Facts.Stage != smtpx.NoStage || o.LocalAddr.IsValid() {
				t.Errorf("outcome %s, facts %+v", o.Verdict, o.Facts)
			}
			if !strings.Contains(rec.text(), `SMTP<< 220 mx.rcpt.test \e]52;c;`) {
				t.Errorf("sendmail's output is not in the transcript, escaped:\n%s", rec.text())
			}
		})
	}
}

func TestParseRoute(t *testing.T) {
	for _, tc := range []struct {
		via, tls string
		want     string // "kind host tls" or "error: ..."
	}{
		{"", "", "mx  opportunistic"},
		{"mx", "starttls", "mx  starttls"},
		{"smtp.example.com:587", "", "host smtp.example.com:587 opportunistic"},
		{"smtp.example.com:465", "", "host smtp.example.com:465 implicit"},
		{"smtp.example.com:465", "starttls", "host smtp.example.com:465 starttls"},
		{"[2001:db8::1]:25", "none", "host [2001:db8::1]:25 none"},
		{"sendmail", "", "sendmail  "},
		{"sendmail:/opt/exim/bin/sendmail", "", "sendmail /opt/exim/bin/sendmail "},
		{"smtp.example.com", "", "error: --via \"smtp.example.com\": want mx, mta, sendmail, or HOST:PORT"},
		{"smtp.example.com:99999", "", "error: --via \"smtp.example.com:99999\": port"},
		{"mx", "implicit", "error: --tls implicit cannot be used with --via mx"},
		{"mx", "tls1.3", "error: --tls: unknown TLS mode"},
		{"sendmail", "starttls", "error: --tls has no effect with --via sendmail"},
	} {
		r, err := ParseRoute(tc.via, tc.tls)
		got := ""
		if err != nil {
			got = "error: " + err.Error()
		} else {
			got = fmt.Sprintf("%s %s%s %s", r.Kind, r.HostPort, r.SendmailPath, r.TLS)
		}
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("ParseRoute(%q, %q) = %q, want %q…", tc.via, tc.tls, got, tc.want)
		}
	}
}
