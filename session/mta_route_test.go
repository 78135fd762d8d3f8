package session

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/mta"
)

// fakeExim is a program named exim4 that reads the message and prints a
// recorded `exim -v -odf` output (exim 4.96, see session/mta/testdata).
func fakeExim(t *testing.T, recording string) mta.Command {
	t.Helper()
	src, err := filepath.Abs(filepath.Join("mta", "testdata", "exim", recording))
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "exim4")
	body := "#!/bin/sh\ncat > /dev/null\ncat '" + src + "'\n"
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	return mta.Command{Kind: mta.Exim, Argv: []string{script}}
}

// The MTA route reports the MTA's own outcome: a bounce made by exim's
// router (the Debian "local mail only" setup) is rejected, not accepted;
// a frozen-bounce case is rejected with the note; a deferral is deferred;
// a delivery is accepted with the remote's 250 and exim's HELO.
func TestSendViaMTAReportsTheMTAsOutcome(t *testing.T) {
	for _, c := range []struct {
		recording string
		want      smtpx.Outcome
		status    mta.Status
	}{
		{"bounced-nonlocal.txt", smtpx.Rejected, mta.StatusBounced},
		{"bounced-frozen-bounce.txt", smtpx.Rejected, mta.StatusBounced},
		{"deferred-rcpt.txt", smtpx.Deferred, mta.StatusDeferred},
		{"delivered.txt", smtpx.Accepted, mta.StatusDelivered},
	} {
		t.Run(c.recording, func(t *testing.T) {
			rec := &recorder{}
			plan := Plan{Message: draft(), Route: Route{Kind: ViaMTA, MTA: fakeExim(t, c.recording)}}
			o, err := Send(context.Background(), plan, nil, rec.add)
			if err != nil {
				t.Fatal(err)
			}
			if o.Verdict != c.want || o.MTA == nil || o.MTA.Status != c.status {
				t.Fatalf("verdict %v (mta %+v), want %v\n%s", o.Verdict, o.MTA, c.want, rec.text())
			}
			if o.SignInfo != nil || strings.Contains(string(o.Message), "DKIM-Signature") {
				t.Error("the message was signed by mailcred on the MTA route without --sign")
			}
			if c.want == smtpx.Accepted && (o.HELO != "mail.sender.test" || o.Reply.Code != 250 || o.Facts.Route != "mta") {
				t.Errorf("HELO %q reply %v route %q, want exim's HELO and the remote's 250", o.HELO, o.Reply, o.Facts.Route)
			}
			if c.recording == "bounced-nonlocal.txt" && (o.MTAFailure == nil || o.MTAFailure.ID != "exim.remote-domains-not-supported" || o.Facts.Fix == "") {
				t.Errorf("the router's bounce is explained as %+v", o.MTAFailure)
			}
			if c.want == smtpx.Deferred && (o.Stage != smtpx.RCPT || o.Explanation == nil) {
				t.Errorf("deferral at %v explained %v, want RCPT with an explanation", o.Stage, o.Explanation)
			}
		})
	}
}

func TestDescribeMTASaysWhoSignsAndAsWhom(t *testing.T) {
	cmd := fakeExim(t, "delivered.txt")
	d, err := Plan{Message: draft(), Route: Route{Kind: ViaMTA, MTA: cmd}}.Describe(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := d.Summary()
	for _, want := range []string{"via the local exim", "-odf -v", "signed by the MTA", "submitted as ", "uid "} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	if r, err := ParseRoute("mta", ""); err != nil || r.Kind != ViaMTA {
		t.Errorf("ParseRoute(mta) = %v, %v", r, err)
	}
	if _, err := ParseRoute("mta", "starttls"); err == nil {
		t.Error("--tls with --via mta accepted")
	}
}
