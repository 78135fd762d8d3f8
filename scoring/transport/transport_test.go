package transport

import (
	"context"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/smtpx"
)

// run runs the check id against facts.
func run(t *testing.T, id string, f *scoring.SMTPFacts) scoring.Result {
	t.Helper()
	for _, c := range Checks() {
		if c.ID != id {
			continue
		}
		ev := scoring.Evidence{SMTP: f}
		if !c.Applies(ev) {
			return scoring.Result{ID: id, Status: scoring.Skip}
		}
		return c.Run(context.Background(), &scoring.Env{Evidence: ev})
	}
	t.Fatalf("no check %s", id)
	return scoring.Result{}
}

func mxFacts() *scoring.SMTPFacts {
	return &scoring.SMTPFacts{Route: "mx", Server: "mx1.example.net", Addr: "192.0.2.7:25", Local: "198.51.100.5:40000",
		TLSMode: "opportunistic", StartTLSOffered: true, TLS: true, TLSVersion: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", CertVerified: true,
		Outcome: smtpx.Accepted, Stage: smtpx.EndOfData, Code: 250, Enhanced: "2.0.0", Reply: []string{"250 2.0.0 OK queued"}}
}

func TestStartTLS(t *testing.T) {
	for _, tc := range []struct {
		name   string
		edit   func(f *scoring.SMTPFacts)
		status scoring.Status
		title  string // a fragment of the title
		fix    bool
		want   []string // fragments of the detail and the fix summary
	}{
		{"TLS used and verified passes with version and cipher", func(*scoring.SMTPFacts) {}, scoring.Pass, "TLS 1.3, TLS_AES_128_GCM_SHA256", false, nil},
		{"unverified MX certificate is only information", func(f *scoring.SMTPFacts) {
			f.CertVerified, f.CertError = false, "unknown issuer (self-signed or private CA)"
		}, scoring.Info, "not verified (normal for MX delivery)", false, []string{"unknown issuer"}},
		{"unverified submission certificate warns with the reason", func(f *scoring.SMTPFacts) {
			f.Route, f.CertVerified, f.CertError = "smtp.example.com:587", false, "name mismatch: x509"
		}, scoring.Warn, "name mismatch", true, nil},
		{"offered but the handshake failed and plaintext followed warns with why", func(f *scoring.SMTPFacts) {
			f.TLS, f.TLSVersion, f.CipherSuite, f.CertVerified = false, "", "", false
			f.TLSError = "the TLS handshake failed (TLS handshake: EOF); the message was sent again without TLS, as MTAs do"
		}, scoring.Warn, "offered STARTTLS, but the message was sent in plaintext", true,
			[]string{"Why: the TLS handshake failed (TLS handshake: EOF)", "Read the TLS error in the transcript"}},
		{"offered but not attempted under --tls none warns: drop it", func(f *scoring.SMTPFacts) {
			f.TLSMode, f.TLS, f.TLSVersion, f.CipherSuite, f.CertVerified = "none", false, "", "", false
			f.TLSError = "not attempted: --tls none"
		}, scoring.Warn, "offered STARTTLS, but the message was sent in plaintext", true,
			[]string{"Why: not attempted: --tls none.", "Drop --tls none"}},
		{"a certificate error is never taken for why TLS was not used", func(f *scoring.SMTPFacts) {
			f.TLS, f.TLSVersion, f.CipherSuite, f.CertVerified = false, "", "", false
			f.CertError = "unknown issuer"
		}, scoring.Warn, "offered STARTTLS, but the message was sent in plaintext", true, []string{"Why: STARTTLS was not used."}},
		{"not offered by an MX fails", func(f *scoring.SMTPFacts) {
			f.TLS, f.StartTLSOffered, f.CertVerified = false, false, false
		}, scoring.Fail, "did not offer STARTTLS", true, nil},
		{"required but not offered fails", func(f *scoring.SMTPFacts) {
			f.Route, f.TLSMode, f.TLS, f.StartTLSOffered, f.Outcome, f.Stage = "smtp.example.com:587", "starttls", false, false, smtpx.Failed, smtpx.STARTTLS
			f.CertVerified, f.TLSError = false, "STARTTLS was required (--tls starttls) but the server did not offer it"
		}, scoring.Fail, "which this send required", true,
			[]string{"STARTTLS was required (--tls starttls) but the server did not offer it. Nothing was sent."}},
		{"not offered on loopback is information", func(f *scoring.SMTPFacts) {
			f.Route, f.Server, f.Addr, f.TLS, f.StartTLSOffered = "127.0.0.1:25", "127.0.0.1", "127.0.0.1:25", false, false
		}, scoring.Info, "loopback", false, nil},
		{"a session refused at the greeting did not reach STARTTLS", func(f *scoring.SMTPFacts) {
			f.TLS, f.StartTLSOffered, f.Outcome, f.Stage, f.Code = false, false, smtpx.Rejected, smtpx.Connect, 554
		}, scoring.Skip, "Not reached", false, nil},
		{"sendmail does not apply", func(f *scoring.SMTPFacts) { f.Route, f.TLSMode = "sendmail", "" }, scoring.Skip, "", false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := mxFacts()
			tc.edit(f)
			res := run(t, IDStartTLS, f)
			if res.Status != tc.status || !strings.Contains(res.Title, tc.title) {
				t.Fatalf("%v %q, want %v …%q…", res.Status, res.Title, tc.status, tc.title)
			}
			if (res.Fix != nil) != tc.fix {
				t.Errorf("fix %+v, want fix: %v", res.Fix, tc.fix)
			}
			all := res.Detail
			if res.Fix != nil {
				all += "\n" + res.Fix.Summary
			}
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("lacks %q:\n%s", w, all)
				}
			}
		})
	}
}

func TestResponse(t *testing.T) {
	s3140 := func(f *scoring.SMTPFacts) {
		f.Outcome, f.Stage, f.Code, f.Enhanced = smtpx.Rejected, smtpx.MAIL, 550, "5.7.1"
		f.Reply = []string{"550 5.7.1 Unfortunately, messages from [198.51.100.5] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3140)."}
		f.Provider, f.Meaning = "outlook", "Part of your provider's network is on Microsoft's own block list."
		f.RulesOut = "Refused at MAIL FROM, before any content was sent: DKIM, DMARC alignment, the headers and the content cannot be the cause."
		f.Fix, f.Link = "Ask for delisting at the sender support form.", "https://sender.office.com"
		f.Related = []string{"blocklist.ip", "rdns.ptr"}
	}
	for _, tc := range []struct {
		name   string
		edit   func(f *scoring.SMTPFacts)
		status scoring.Status
		want   []string // fragments of title+detail+fix
	}{
		{"accepted passes", func(*scoring.SMTPFacts) {}, scoring.Pass, []string{"Accepted by mx1.example.net (192.0.2.7:25): 250 2.0.0 OK queued"}},
		{"Outlook S3140 at MAIL fails with meaning, rules-out, fix and link", s3140, scoring.Fail, []string{
			"Rejected at MAIL by mx1.example.net (192.0.2.7:25), outlook: 550 5.7.1", "(S3140)", "Meaning: Part of your provider",
			"before any content was sent: DKIM", "Related checks: blocklist.ip, rdns.ptr", "delisting", "https://sender.office.com",
		}},
		{"deferred warns", func(f *scoring.SMTPFacts) {
			f.Outcome, f.Stage, f.Code, f.Enhanced, f.Reply = smtpx.Deferred, smtpx.RCPT, 451, "4.7.1", []string{"451 4.7.1 Try again later"}
		}, scoring.Warn, []string{"Deferred at RCPT", "451 4.7.1 Try again later"}},
		{"no answer is an error, never a failure", func(f *scoring.SMTPFacts) {
			f.Outcome, f.Stage, f.Code, f.Reply, f.Err = smtpx.Failed, smtpx.Connect, 0, nil, "smtp connect: timed out waiting for the server"
		}, scoring.Error, []string{"No answer from", "timed out"}},
		{"sendmail accepted", func(f *scoring.SMTPFacts) { f.Route = "sendmail" }, scoring.Pass, []string{"Handed to the local MTA"}},
		{"sendmail tempfail", func(f *scoring.SMTPFacts) {
			f.Route, f.Outcome, f.Err = "sendmail", smtpx.Deferred, "sendmail: exit status 75"
		}, scoring.Warn, []string{"EX_TEMPFAIL"}},
		{"escape sequences in a reply are shown escaped", func(f *scoring.SMTPFacts) {
			f.Outcome, f.Stage, f.Code, f.Reply = smtpx.Rejected, smtpx.RCPT, 550, []string{"550 \x1b[2Jno"}
		}, scoring.Fail, []string{`550 \e[2Jno`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := mxFacts()
			tc.edit(f)
			res := run(t, IDResponse, f)
			all := res.Title + "\n" + res.Detail
			if res.Fix != nil {
				all += "\n" + res.Fix.Summary + "\n" + res.Fix.Link
			}
			if res.Status != tc.status {
				t.Fatalf("status %v, want %v: %s", res.Status, tc.status, all)
			}
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("lacks %q:\n%s", w, all)
				}
			}
			if strings.Contains(all, "\x1b") {
				t.Error("raw escape in the result")
			}
			if tc.status == scoring.Fail && res.Fix == nil {
				t.Error("a failure without a fix")
			}
		})
	}
}

func TestNoEvidenceNoChecks(t *testing.T) {
	for _, c := range Checks() {
		if c.Applies(scoring.Evidence{}) {
			t.Errorf("%s applies without SMTP facts", c.ID)
		}
		if _, ok := scoring.DefaultWeights[c.ID]; !ok {
			t.Errorf("%s has no weight", c.ID)
		}
	}
}
