package receiver

import (
	"bytes"
	"context"
	"crypto"
	"net/netip"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/authres"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/simzone"
	"github.com/mailcred/mailcred/session/sign"
)

var (
	goodIP  = netip.MustParseAddr("192.0.2.10")
	otherIP = netip.MustParseAddr("198.51.100.7")
)

// plain is a well-formed message from example.com, CRLF throughout.
const plain = "From: Alice <alice@example.com>\r\n" +
	"To: bob@example.org\r\n" +
	"Subject: Hello\r\n" +
	"Date: Mon, 01 Jun 2026 10:00:00 +0000\r\n" +
	"Message-ID: <1@example.com>\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"\r\n" +
	"Hello Bob.\r\n"

func testKey(t *testing.T) crypto.Signer {
	t.Helper()
	k, err := dkim.LoadPrivateKey("testdata/rsa2048-private.pem")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// setup is example.com with SPF for 192.0.2.10, the test key at
// s1._domainkey and the same key for mailer.example.net (a third-party
// signer), and DMARC p=reject; edit changes it per test.
func setup(t *testing.T, edit func(*simzone.Setup)) *dnstest.Server {
	t.Helper()
	rec, err := dkim.RecordForKey(testKey(t).Public())
	if err != nil {
		t.Fatal(err)
	}
	s := simzone.Setup{
		Domain: "example.com", MailHost: "mail.example.com", IPs: []netip.Addr{goodIP},
		PTR: map[netip.Addr]bool{goodIP: true},
		SPF: "v=spf1 ip4:192.0.2.10 -all",
		Extra: map[string]string{
			"m1._domainkey.mailer.example.net": rec,
			"mailer.example.net":               "v=spf1 ip4:198.51.100.0/24 -all",
		},
		Selector: "s1", DKIM: rec, DMARC: "v=DMARC1; p=reject; rua=mailto:dmarc@example.com",
	}
	if edit != nil {
		edit(&s)
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

func resolver(t *testing.T, srv *dnstest.Server) *dnsx.Resolver {
	t.Helper()
	r, err := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func signAs(t *testing.T, msg, domain, selector string) []byte {
	t.Helper()
	out, _, err := sign.Sign([]byte(msg), sign.Options{Domain: domain, Selector: selector, Key: testKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func evidence(msg []byte, ip netip.Addr, mailFrom string) scoring.Evidence {
	return scoring.Evidence{Domain: "example.com", MailFrom: mailFrom, IPs: []netip.Addr{ip}, HELO: "mail.example.com", Message: msg}
}

// run runs both checks and returns them by id.
func run(t *testing.T, srv *dnstest.Server, ev scoring.Evidence) map[string]scoring.Result {
	t.Helper()
	env := &scoring.Env{Evidence: ev, DNS: resolver(t, srv)}
	out := map[string]scoring.Result{}
	for _, r := range scoring.RunAll(context.Background(), env, Checks()) {
		out[r.ID] = r
	}
	return out
}

func expect(t *testing.T, r scoring.Result, status scoring.Status, wants ...string) {
	t.Helper()
	if r.Status != status {
		t.Errorf("%s: status %s, want %s\ntitle: %s\ndetail:\n%s", r.ID, r.Status, status, r.Title, r.Detail)
		return
	}
	text := r.Title + "\n" + r.Detail
	if r.Fix != nil {
		text += "\n" + r.Fix.Summary + "\n" + r.Fix.Snippet
		for _, rec := range r.Fix.Records {
			text += "\n" + rec.ZoneLine()
		}
	}
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s: %q missing from\n%s", r.ID, w, text)
		}
	}
	if (status == scoring.Fail || status == scoring.Warn) && r.Fix == nil {
		t.Errorf("%s: %s without a fix", r.ID, status)
	}
}

func TestSignedAlignedMessagePasses(t *testing.T) {
	srv := setup(t, nil)
	res := run(t, srv, evidence(signAs(t, plain, "example.com", "s1"), goodIP, "bounce@example.com"))
	expect(t, res[CheckSignature], scoring.Pass, "d=example.com s=s1", "a=rsa-sha256", "c=relaxed/relaxed", "h=From:From:To:Subject", "From is signed", "aligned (strict and relaxed)")
	expect(t, res[CheckAlignment], scoring.Pass, "DKIM d=example.com is aligned with From example.com",
		"SPF pass for MAIL FROM domain example.com", "identical to the From domain", "Policy: p=reject, from _dmarc.example.com")
}

func TestBodyChangedAfterSigningFailsWithBodyHashDetail(t *testing.T) {
	srv := setup(t, nil)
	signed := signAs(t, plain, "example.com", "s1")
	tampered := bytes.Replace(signed, []byte("Hello Bob."), []byte("Hello Bob!"), 1)
	res := run(t, srv, evidence(tampered, goodIP, "bounce@example.com"))
	expect(t, res[CheckSignature], scoring.Fail, "body hash did not verify (the body changed after signing)", "Sign last")
	if strings.Contains(res[CheckSignature].Detail, "signature did not verify") {
		t.Error("a body change reported as a signature mismatch")
	}
	// SPF still aligns: DMARC passes through SPF alone, and says so.
	expect(t, res[CheckAlignment], scoring.Pass, "DMARC passes through SPF", "forwarder")
}

func TestSignedHeaderChangedFailsWithSignatureDetail(t *testing.T) {
	srv := setup(t, nil)
	signed := signAs(t, plain, "example.com", "s1")
	tampered := bytes.Replace(signed, []byte("Subject: Hello"), []byte("Subject: [SPAM] Hello"), 1)
	res := run(t, srv, evidence(tampered, goodIP, "bounce@example.com"))
	expect(t, res[CheckSignature], scoring.Fail, "signature did not verify (a signed header changed, or wrong key)", "--dkim-key")
	if strings.Contains(res[CheckSignature].Detail, "body hash did not verify") {
		t.Error("a header change reported as a body change")
	}
}

func TestUnsignedMessageFailsWithTheWayToSign(t *testing.T) {
	srv := setup(t, nil)
	res := run(t, srv, evidence([]byte(plain), goodIP, "bounce@example.com"))
	expect(t, res[CheckSignature], scoring.Fail, "no DKIM signature", "mailcred keygen --domain example.com", "dkim_private_key", "OpenDKIM")
}

func TestDMARCPassesThroughAlignedDKIMWhenSPFFails(t *testing.T) {
	srv := setup(t, nil)
	res := run(t, srv, evidence(signAs(t, plain, "example.com", "s1"), otherIP, "bounce@example.com"))
	expect(t, res[CheckAlignment], scoring.Pass, "DKIM d=example.com is aligned", "SPF fail for MAIL FROM domain example.com")
}

func TestDMARCFailUnderRejectSaysTheMailWillBeRefused(t *testing.T) {
	srv := setup(t, nil)
	// Signed by a third party, sent from an IP example.com's SPF does not list.
	msg := signAs(t, plain, "mailer.example.net", "m1")
	res := run(t, srv, evidence(msg, otherIP, "bounce@example.com"))
	expect(t, res[CheckSignature], scoring.Pass, "not aligned with From example.com")
	expect(t, res[CheckAlignment], scoring.Fail, "receivers following your policy (p=reject) will refuse this mail",
		"DKIM d=mailer.example.net s=m1 pass: Organizational Domain example.net differs", "Sign with d=example.com")
}

func TestSPFAlignedOnlyThroughItsOwnDomain(t *testing.T) {
	srv := setup(t, nil)
	// SPF passes for mailer.example.net, which is not aligned with From.
	res := run(t, srv, evidence([]byte(plain), otherIP, "bounce@mailer.example.net"))
	expect(t, res[CheckAlignment], scoring.Fail, "SPF pass for MAIL FROM domain mailer.example.net", "not aligned",
		"MAIL FROM (Return-Path) address under example.com")
}

func TestStrictAlignmentExplained(t *testing.T) {
	srv := setup(t, func(s *simzone.Setup) {
		s.DMARC = "v=DMARC1; p=quarantine; adkim=s; aspf=s"
		s.Extra["s1._domainkey.news.example.com"] = s.DKIM
	})
	msg := strings.Replace(plain, "alice@example.com", "alice@news.example.com", 1)
	res := run(t, srv, evidence(signAs(t, msg, "example.com", "s1"), otherIP, "bounce@example.com"))
	expect(t, res[CheckAlignment], scoring.Fail, "p=quarantine) will file this mail as spam", "adkim=s (strict) wants the identical domain news.example.com",
		"strict alignment")
}

func TestRelaxedAlignmentOfASubdomain(t *testing.T) {
	srv := setup(t, nil)
	msg := strings.Replace(plain, "alice@example.com", "alice@news.example.com", 1)
	res := run(t, srv, evidence(signAs(t, msg, "example.com", "s1"), otherIP, "bounce@example.com"))
	expect(t, res[CheckSignature], scoring.Pass, "aligned under relaxed adkim only")
	expect(t, res[CheckAlignment], scoring.Pass, "same Organizational Domain as From (example.com), relaxed adkim: aligned",
		"Policy: p=reject, from _dmarc.example.com (the Organizational Domain's record, applied to news.example.com).")
}

func TestNoDMARCRecordWarns(t *testing.T) {
	srv := setup(t, func(s *simzone.Setup) { s.DMARC = "" })
	res := run(t, srv, evidence(signAs(t, plain, "example.com", "s1"), goodIP, "bounce@example.com"))
	expect(t, res[CheckAlignment], scoring.Warn, "No DMARC record for example.com", "would pass (DKIM d=example.com aligns)",
		`_dmarc.example.com. IN TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com"`)
}

func TestServfailOnTheKeyIsAnError(t *testing.T) {
	srv := setup(t, nil)
	srv.SetFault("s1._domainkey.example.com", dnstest.ServFail)
	res := run(t, srv, evidence(signAs(t, plain, "example.com", "s1"), otherIP, "bounce@example.com"))
	expect(t, res[CheckSignature], scoring.Error, "could not be fetched", "temperror")
	// SPF fails and the only signature is temperror: DMARC cannot conclude.
	expect(t, res[CheckAlignment], scoring.Error, "temporary DNS failure")
}

func TestTestingKeyWarnsAndOffersTheRecordWithoutIt(t *testing.T) {
	srv := setup(t, func(s *simzone.Setup) { s.DKIM = strings.Replace(s.DKIM, "k=rsa;", "k=rsa; t=y:s;", 1) })
	res := run(t, srv, evidence(signAs(t, plain, "example.com", "s1"), goodIP, "bounce@example.com"))
	expect(t, res[CheckSignature], scoring.Warn, "testing mode (t=y)", "RFC 6376 §3.6.1", "t=s; p=")
}

func TestNoSingleFromDomain(t *testing.T) {
	srv := setup(t, nil)
	msg := strings.Replace(plain, "From: Alice <alice@example.com>", "From: a@example.com, b@example.org", 1)
	res := run(t, srv, evidence([]byte(msg), goodIP, "bounce@example.com"))
	expect(t, res[CheckAlignment], scoring.Fail, "No single From domain", "2 addresses")
}

func TestConnectingIPPrefersTheSessionsLocalAddress(t *testing.T) {
	ev := scoring.Evidence{IPs: []netip.Addr{goodIP}, SMTP: &scoring.SMTPFacts{Local: "[2001:db8::5]:41234"}}
	if got := ConnectingIP(ev); got != netip.MustParseAddr("2001:db8::5") {
		t.Fatalf("ConnectingIP = %v", got)
	}
	ev.SMTP.Local = ""
	if got := ConnectingIP(ev); got != goodIP {
		t.Fatalf("ConnectingIP = %v", got)
	}
}

func TestAuthenticationResultsParsesBack(t *testing.T) {
	srv := setup(t, nil)
	msg := signAs(t, plain, "example.com", "s1")
	msg = signAs(t, string(msg), "mailer.example.net", "m1")
	v := Judge(context.Background(), resolver(t, srv), evidence(msg, goodIP, "bounce@example.com"))
	field := AuthenticationResults("mx.example.org", v)
	id, results, err := authres.Parse(field)
	if err != nil || id != "mx.example.org" {
		t.Fatalf("Parse(%q): id %q, %v", field, id, err)
	}
	var spfs, dkims, dmarcs []string
	for _, r := range results {
		switch r := r.(type) {
		case *authres.SPFResult:
			spfs = append(spfs, string(r.Value)+" "+r.From+r.Helo)
		case *authres.DKIMResult:
			dkims = append(dkims, string(r.Value)+" "+r.Domain)
		case *authres.DMARCResult:
			dmarcs = append(dmarcs, string(r.Value)+" "+r.From)
		default:
			t.Errorf("unexpected result %#v", r)
		}
	}
	if strings.Join(spfs, ",") != "pass bounce@example.com,none mail.example.com" ||
		strings.Join(dkims, ",") != "pass mailer.example.net,pass example.com" ||
		strings.Join(dmarcs, ",") != "pass example.com" {
		t.Fatalf("results: spf %q dkim %q dmarc %q\n%s", spfs, dkims, dmarcs, field)
	}
	for _, w := range []string{"header.s=s1", "header.s=m1", "header.a=rsa-sha256", "header.from=example.com"} {
		if !strings.Contains(field, w) {
			t.Errorf("%q missing from %s", w, field)
		}
	}
}

func TestAuthenticationResultsOfAFailureAndOfHostileInput(t *testing.T) {
	srv := setup(t, nil)
	signed := signAs(t, plain, "example.com", "s1")
	tampered := bytes.Replace(signed, []byte("Hello Bob."), []byte("Hello Bob!"), 1)
	v := Judge(context.Background(), resolver(t, srv), evidence(tampered, otherIP, "bounce@example.com"))
	field := AuthenticationResults("bad host;\x1b[31m", v)
	_, results, err := authres.Parse(field)
	if err != nil || len(results) != 4 {
		t.Fatalf("Parse(%q): %d results, %v", field, len(results), err)
	}
	for _, w := range []string{"badhost31m; spf=fail", "dkim=fail reason=\"body hash did not verify\"", "dmarc=fail reason=\"no aligned SPF or DKIM pass, policy reject\""} {
		if !strings.Contains(field, w) {
			t.Errorf("%q missing from %s", w, field)
		}
	}
	if got := clean("a;b\x1b\u202e" + strings.Repeat("x", 300)); strings.ContainsAny(got, ";\x1b\u202e") || len(got) > maxParam+3 {
		t.Errorf("clean: %q", got)
	}
	unsigned := Judge(context.Background(), resolver(t, srv), scoring.Evidence{Message: []byte("Subject: x\r\n\r\nbody\r\n")})
	if f := AuthenticationResults("", unsigned); f != "mailcred; dkim=none; dmarc=permerror reason=\"the message has no From: header, so there is no Author Domain to align with\"" {
		t.Errorf("no From, no IP: %s", f)
	}
}

func TestMissingKeyRecordFailsWithTheWayToPublishIt(t *testing.T) {
	srv := setup(t, func(s *simzone.Setup) { s.DKIM = "" })
	res := run(t, srv, evidence(signAs(t, plain, "example.com", "s1"), goodIP, "bounce@example.com"))
	expect(t, res[CheckSignature], scoring.Fail, "DKIM key record s1._domainkey.example.com cannot be used",
		"--from-key FILE", "mailcred keygen --domain example.com --selector s1")
}

// A header bomb signed by the From domain and sent from an IP SPF does
// not list: DKIM is not read past the limits, so neither DKIM nor DMARC
// may be a verdict (DMARC "fail" would be a guess without DKIM).
func TestHeaderBombIsNotVerifiedAndNotFailed(t *testing.T) {
	srv := setup(t, nil)
	bomb := plain[:strings.Index(plain, "\r\n\r\n")+2] + strings.Repeat("X-B: 1\r\n", 5000) + "\r\nHello Bob.\r\n"
	res := run(t, srv, evidence(signAs(t, bomb, "example.com", "s1"), otherIP, "bounce@example.com"))
	expect(t, res[CheckSignature], scoring.Error, "over the limits", "5008 fields")
	expect(t, res[CheckAlignment], scoring.Error, "over the limits")
}
