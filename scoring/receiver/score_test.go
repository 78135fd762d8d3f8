package receiver

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/authres"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnstest"
)

// One function scores a received message for score, receive and the
// demo's tester: the verifier sees CRLF, the header checks the bytes as
// they came, a bounce's SPF identity is postmaster@HELO, and the score is
// the weights' arithmetic over the results, in ReceivedChecks order.
func TestScoreMessage(t *testing.T) {
	srv := setup(t, nil)
	lf := bytes.ReplaceAll(signAs(t, plain, "example.com", "s1"), []byte("\r\n"), []byte("\n"))
	conn := Connection{IP: goodIP, HELO: "Mail.Example.com.", MailFrom: "", TLS: "TLS 1.3"}
	if got := DomainsOf(lf, conn); strings.Join(got, ",") != "example.com,mail.example.com" {
		t.Errorf("DomainsOf = %v", got)
	}
	s := ScoreMessage(context.Background(), resolver(t, srv), lf, conn, Options{AuthservID: "mx.test"})
	if s.MailFrom != "postmaster@Mail.Example.com" || s.FromDomain != "example.com" || s.Connection.TLS != "TLS 1.3" {
		t.Errorf("MailFrom %q FromDomain %q conn %+v", s.MailFrom, s.FromDomain, s.Connection)
	}
	notes := strings.Join(s.Notes, "\n")
	for _, want := range []string{"converted to CRLF", "SPF checks the HELO identity postmaster@Mail.Example.com (RFC 7208 §2.4)"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q: %q", want, notes)
		}
	}
	checks := ReceivedChecks()
	if len(s.Results) != len(checks) {
		t.Fatalf("%d results for %d checks", len(s.Results), len(checks))
	}
	byID := map[string]scoring.Result{}
	for i, r := range s.Results {
		if r.ID != checks[i].ID {
			t.Errorf("result %d is %s, want %s", i, r.ID, checks[i].ID)
		}
		byID[r.ID] = r
	}
	if byID[CheckSignature].Status != scoring.Pass {
		t.Errorf("dkim.signature on the CRLF form: %+v", byID[CheckSignature])
	}
	if byID["message.format"].Status != scoring.Fail {
		t.Errorf("message.format judges the bytes as they came (bare LF): %+v", byID["message.format"])
	}
	if want := scoring.DefaultWeights.Compute(s.Results); s.Score.Value != want.Value || s.Score.Incomplete != want.Incomplete {
		t.Errorf("score %+v, want %+v", s.Score, want)
	}
	if !strings.HasPrefix(s.AuthenticationResults, "mx.test;") || !strings.Contains(s.AuthenticationResults, "dkim=pass") {
		t.Errorf("Authentication-Results %q", s.AuthenticationResults)
	}
}

// A mailbox that counts differently chooses its checks, given the one
// verdict; weights other than the default apply.
func TestScoreMessageWithOwnChecksAndWeights(t *testing.T) {
	srv := setup(t, nil)
	var seen *Verdict
	s := ScoreMessage(context.Background(), resolver(t, srv), []byte(plain), Connection{IP: otherIP, HELO: "x.test", MailFrom: "bounce@example.com"},
		Options{
			Weights: scoring.Weights{CheckSignature: 4},
			Checks: func(v *Verdict) []scoring.Check {
				seen = v
				return Checks()[:1]
			},
		})
	if seen == nil || seen != s.Verdict {
		t.Fatal("the checks were not chosen with the verdict ScoreMessage reports")
	}
	if len(s.Results) != 1 || s.Results[0].ID != CheckSignature || s.Results[0].Status != scoring.Fail || s.Score.Value != 6 {
		t.Errorf("results %+v score %+v", s.Results, s.Score)
	}
	if !strings.HasPrefix(s.AuthenticationResults, "mailcred;") || !strings.Contains(s.AuthenticationResults, "spf=fail") {
		t.Errorf("Authentication-Results %q", s.AuthenticationResults)
	}
}

// Could-not-check is never fail nor pass, as a receiver sees it. A HELO
// name whose lookup fails temporarily leaves spf.result unchecked (error,
// the score incomplete) even though MAIL FROM passes; a MAIL FROM on a
// host's bare name (root@vm, as swaks sends from a host called vm) is
// SPF none (RFC 7208 §4.3), a certain verdict that the HELO name's
// temperror does not change.
func TestScoreMessageSPFWhenTheHELOLookupFails(t *testing.T) {
	srv := setup(t, nil)
	srv.SetFault("helo.example.net", dnstest.ServFail)
	msg := signAs(t, plain, "example.com", "s1")
	for _, c := range []struct {
		mailFrom, helo string
		status         scoring.Status
		unchecked      bool
		authres        []string
	}{
		{"bounce@example.com", "helo.example.net", scoring.Error, true,
			[]string{"spf=pass smtp.mailfrom=bounce@example.com", "spf=temperror smtp.helo=helo.example.net"}},
		{"root@vm", "helo.example.net", scoring.Fail, false, []string{"spf=none smtp.mailfrom=root@vm", "spf=temperror smtp.helo=helo.example.net"}},
		{"root@vm", "vm", scoring.Fail, false, []string{"spf=none smtp.mailfrom=root@vm"}},
	} {
		s := ScoreMessage(context.Background(), resolver(t, srv), msg, Connection{IP: goodIP, HELO: c.helo, MailFrom: c.mailFrom}, Options{})
		var res scoring.Result
		for _, r := range s.Results {
			if r.ID == "spf.result" {
				res = r
			}
		}
		if res.Status != c.status {
			t.Errorf("MAIL FROM %s HELO %s: spf.result %s %q\n%s", c.mailFrom, c.helo, res.Status, res.Title, res.Detail)
		}
		if slices.Contains(s.Score.Unchecked, "spf.result") != c.unchecked || c.unchecked && !s.Score.Incomplete {
			t.Errorf("MAIL FROM %s HELO %s: score %+v, spf.result unchecked should be %v", c.mailFrom, c.helo, s.Score, c.unchecked)
		}
		for _, want := range c.authres {
			if !strings.Contains(s.AuthenticationResults, want) {
				t.Errorf("MAIL FROM %s HELO %s: Authentication-Results lacks %q: %s", c.mailFrom, c.helo, want, s.AuthenticationResults)
			}
		}
	}
}

// A bounce (MAIL FROM:<>) with no HELO name and no From address gives SPF
// no identity: the note says so (not "checks the From address"), and the
// Authentication-Results field names none (not "smtp.mailfrom=postmaster@").
func TestNoSPFIdentity(t *testing.T) {
	srv := setup(t, nil)
	msg := []byte("Subject: hi\r\n\r\nno from\r\n")
	s := ScoreMessage(context.Background(), resolver(t, srv), msg, Connection{IP: goodIP}, Options{AuthservID: "mx.test"})
	if notes := strings.Join(s.Notes, "\n"); !strings.Contains(notes, "SPF has no identity to check") || strings.Contains(notes, "checks the From address") {
		t.Errorf("notes: %q", notes)
	}
	if ar := s.AuthenticationResults; strings.Contains(ar, "postmaster@;") || strings.Contains(ar, "smtp.mailfrom=postmaster@ ") || !strings.Contains(ar, "spf=none") {
		t.Errorf("Authentication-Results %q", ar)
	}
	if _, _, err := authres.Parse(s.AuthenticationResults); err != nil {
		t.Errorf("does not parse back: %v", err)
	}
}
