package dkim

import (
	"context"
	"crypto"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// txtLine is a zone-file TXT record with value split in 255-byte strings,
// as a user would publish it.
func txtLine(name, value string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s. 300 IN TXT", name)
	for _, s := range scoring.SplitTXT(value) {
		fmt.Fprintf(&b, " %q", s)
	}
	return b.String() + "\n"
}

func startDNS(t *testing.T, zone string) (*dnstest.Server, *dnsx.Resolver) {
	t.Helper()
	srv, err := dnstest.Start(zone)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	r, err := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Timeout: 150 * time.Millisecond, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return srv, r
}

func loadKey(t testing.TB, file string) crypto.Signer {
	t.Helper()
	k, err := LoadPrivateKey("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func recordValue(t testing.TB, file string) string {
	return strings.TrimSpace(mustRead(t, "testdata/"+file))
}

// dkimZone publishes one selector per situation under example.com.
func dkimZone(t *testing.T) string {
	rsa2048 := recordValue(t, "keys/rsa2048-public.txt")
	p2048 := strings.TrimPrefix(rsa2048, "v=DKIM1; k=rsa; p=")
	zone := "example.com. 300 IN SOA ns.example.com. hostmaster.example.com. 1 3600 600 86400 300\n" +
		txtLine("good._domainkey.example.com", rsa2048) +
		txtLine("old._domainkey.example.com", recordValue(t, "keys/rfc6376-appC-rsa1024-public.txt")) +
		txtLine("weak._domainkey.example.com", recordValue(t, "keys/weak-rsa512-public.txt")) +
		txtLine("revoked._domainkey.example.com", "v=DKIM1; k=rsa; p=") +
		txtLine("testing._domainkey.example.com", "v=DKIM1; k=rsa; t=y:s; p="+p2048) +
		txtLine("strict._domainkey.example.com", "v=DKIM1; k=rsa; t=s; p="+p2048) +
		txtLine("ed._domainkey.example.com", recordValue(t, "keys/rfc8463-ed25519-public.txt")) +
		txtLine("sha1._domainkey.example.com", "v=DKIM1; h=sha1; p="+p2048) +
		txtLine("tlsrpt._domainkey.example.com", "v=DKIM1; s=tlsrpt; p="+p2048) +
		txtLine("badversion._domainkey.example.com", recordValue(t, "dkimpy/badversion.txt")) +
		txtLine("mismatch._domainkey.example.com", "v=DKIM1; k=ed25519; p="+p2048) +
		txtLine("pkcs1._domainkey.example.com", recordValue(t, "dkimpy/2048_testkey_wo_markers.pub.rsa.txt")) +
		txtLine("two._domainkey.example.com", rsa2048) +
		txtLine("two._domainkey.example.com", recordValue(t, "keys/rfc6376-appC-rsa1024-public.txt")) +
		"cname._domainkey.example.com. 300 IN CNAME s1.dkim.provider.test.\n" +
		txtLine("s1.dkim.provider.test", rsa2048) +
		"spf._domainkey.example.com. 300 IN TXT \"v=spf1 -all\"\n"
	return zone
}

type checkCase struct {
	name     string
	selector string
	zone     string // the zone served; dkimZone when empty
	key      string // private key file, or ""
	fault    dnstest.Fault
	faultAt  []string // the selectors the fault is set on; the selector when empty
	recordAt string   // the selector of the fix record's name; the selector when empty
	status   scoring.Status
	title    string   // substring of the title
	detail   []string // substrings of the detail
	fix      []string // substrings of the fix summary
	record   string   // the fix's record value (exact), if any
}

func runCheck(t *testing.T, id string, tc checkCase) scoring.Result {
	t.Helper()
	zone := tc.zone
	if zone == "" {
		zone = dkimZone(t)
	}
	srv, r := startDNS(t, zone)
	if tc.fault != dnstest.NoFault {
		at := tc.faultAt
		if len(at) == 0 {
			at = []string{tc.selector}
		}
		for _, sel := range at {
			srv.SetFault(RecordName(sel, "example.com"), tc.fault)
		}
	}
	ev := scoring.Evidence{Domain: "example.com", Selector: tc.selector}
	if tc.key != "" {
		ev.DKIMKey = loadKey(t, tc.key)
	}
	var check scoring.Check
	for _, c := range Checks() {
		if c.ID == id {
			check = c
		}
	}
	results := scoring.RunAll(context.Background(), &scoring.Env{Evidence: ev, DNS: r}, []scoring.Check{check})
	res := results[0]
	t.Logf("%s %s: %s\n%s", res.ID, res.Status, res.Title, res.Detail)
	if res.Fix != nil {
		t.Logf("fix: %s %v", res.Fix.Summary, res.Fix.Records)
	}
	if res.Status != tc.status {
		t.Errorf("status = %s, want %s", res.Status, tc.status)
	}
	if !strings.Contains(res.Title, tc.title) {
		t.Errorf("title %q does not contain %q", res.Title, tc.title)
	}
	for _, d := range tc.detail {
		if !strings.Contains(res.Detail, d) {
			t.Errorf("detail does not contain %q", d)
		}
	}
	if len(tc.fix) > 0 || tc.record != "" {
		if res.Fix == nil {
			t.Fatal("no fix")
		}
		for _, f := range tc.fix {
			if !strings.Contains(res.Fix.Summary, f) {
				t.Errorf("fix %q does not contain %q", res.Fix.Summary, f)
			}
		}
	}
	if tc.record != "" {
		if len(res.Fix.Records) != 1 || res.Fix.Records[0].Value != tc.record {
			t.Fatalf("fix records = %+v, want value %s", res.Fix.Records, tc.record)
		}
		rec := res.Fix.Records[0]
		at := tc.recordAt
		if at == "" {
			at = tc.selector
		}
		if rec.Name != RecordName(at, "example.com") || rec.Type != "TXT" || strings.Join(rec.Strings, "") != rec.Value {
			t.Errorf("fix record %+v", rec)
		}
		for _, s := range rec.Strings {
			if len(s) > 255 {
				t.Errorf("fix string of %d bytes", len(s))
			}
		}
	}
	if (res.Status == scoring.Fail || res.Status == scoring.Warn) && res.Fix == nil {
		t.Error("a fail or warn without a fix")
	}
	if len(res.Queries) == 0 && tc.title != "not valid" {
		t.Error("no queries recorded")
	}
	return res
}

func keyRecord(t *testing.T, file string) string {
	v, err := RecordForKey(loadKey(t, file))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRecordCheck(t *testing.T) {
	p2048 := strings.TrimPrefix(recordValue(t, "keys/rsa2048-public.txt"), "v=DKIM1; k=rsa; p=")
	tests := []checkCase{
		{name: "2048-bit key split in two strings passes", selector: "good", status: scoring.Pass,
			title: "2048-bit RSA", detail: []string{"in 2 strings, concatenated"}},
		{name: "1024-bit key warns", selector: "old", status: scoring.Warn, title: "1024-bit RSA",
			fix: []string{"mailcred keygen --domain example.com --selector old2 --bits 2048", "old2._domainkey.example.com"}},
		{name: "1024-bit key with a strong private key loaded: publish it", selector: "old", key: "keys/rsa2048-private.pem",
			status: scoring.Warn, record: keyRecord(t, "keys/rsa2048-private.pem")},
		{name: "512-bit key fails", selector: "weak", status: scoring.Fail, title: "512-bit RSA: receivers reject it",
			detail: []string{"RFC 8301"}},
		{name: "revoked key fails", selector: "revoked", status: scoring.Fail, title: "revoked"},
		{name: "t=y warns, fix drops it and keeps t=s", selector: "testing", status: scoring.Warn, title: "testing mode (t=y)",
			record: "v=DKIM1; k=rsa; t=s; p=" + p2048},
		{name: "t=s is noted", selector: "strict", status: scoring.Pass, detail: []string{"t=s"}},
		{name: "Ed25519 passes with a dual-sign note", selector: "ed", status: scoring.Pass, title: "Ed25519",
			detail: []string{"sign with an RSA key as well"}},
		{name: "h=sha1 fails", selector: "sha1", status: scoring.Fail, title: "forbids sha256",
			record: "v=DKIM1; k=rsa; p=" + p2048},
		{name: "s=tlsrpt fails", selector: "tlsrpt", status: scoring.Fail, title: "not for email",
			record: "v=DKIM1; k=rsa; p=" + p2048},
		{name: "bad version fails", selector: "badversion", status: scoring.Fail, title: "unusable", detail: []string{"DKIM1"}},
		{name: "k mismatch fails", selector: "mismatch", status: scoring.Fail, title: "unusable",
			detail: []string{"2048-bit RSA key"}, record: "v=DKIM1; k=rsa; p=" + p2048},
		{name: "bare RSAPublicKey passes", selector: "pkcs1", status: scoring.Pass, detail: []string{"pkcs1"}},
		{name: "CNAME delegation is fine", selector: "cname", status: scoring.Pass,
			detail: []string{"CNAME to s1.dkim.provider.test"}},
		{name: "two records fail", selector: "two", status: scoring.Fail, title: "2 DKIM key records",
			fix: []string{"Delete all TXT records"}},
		{name: "two records, the loaded key says which to keep", selector: "two", key: "keys/rsa2048-private.pem",
			status: scoring.Fail, record: recordValue(t, "keys/rsa2048-public.txt")},
		{name: "SPF record at the name fails", selector: "spf", status: scoring.Fail, title: "unusable",
			fix: []string{"mailcred keygen --domain example.com --selector spf --bits 2048"}},
		{name: "missing record fails with keygen", selector: "missing", status: scoring.Fail, title: "No DKIM key record",
			fix: []string{"mailcred keygen --domain example.com --selector missing", "missing._domainkey.example.com"}},
		{name: "missing record with a key loaded: its record", selector: "missing", key: "keys/rfc8463-ed25519-seed.b64",
			status: scoring.Fail, record: recordValue(t, "keys/rfc8463-ed25519-public.txt")},
		{name: "SERVFAIL is an error, not a fail", selector: "good", fault: dnstest.ServFail, status: scoring.Error,
			title: "servfail"},
		{name: "timeout is an error", selector: "good", fault: dnstest.Timeout, status: scoring.Error, title: "timeout"},
		{name: "REFUSED is an error", selector: "good", fault: dnstest.Refused, status: scoring.Error},
		{name: "truncation falls back to TCP", selector: "good", fault: dnstest.Truncate, status: scoring.Pass},
		{name: "invalid selector", selector: "my selector", status: scoring.Error, title: "not valid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runCheck(t, "dkim.record", tc) })
	}
}

func TestKeyMatchCheck(t *testing.T) {
	tests := []checkCase{
		{name: "matching 2048-bit key", selector: "good", key: "keys/rsa2048-private.pem", status: scoring.Pass, title: "matches"},
		{name: "matching through CNAME", selector: "cname", key: "keys/rsa2048-private.pem", status: scoring.Pass},
		{name: "RSAPublicKey record matches its PKCS#1 private key", selector: "pkcs1", key: "dkimpy/2048_testkey.key", status: scoring.Pass},
		{name: "Ed25519 seed matches", selector: "ed", key: "dkimpy/rfc8032_7_1.key", status: scoring.Pass},
		{name: "other key published", selector: "good", key: "keys/rfc6376-appC-rsa1024-private.pem", status: scoring.Fail,
			title: "not the private key's public half", record: keyRecord(t, "keys/rfc6376-appC-rsa1024-private.pem")},
		{name: "nothing published", selector: "missing", key: "keys/rsa2048-private.pem", status: scoring.Fail,
			title: "No DKIM key published", record: recordValue(t, "keys/rsa2048-public.txt")},
		{name: "revoked", selector: "revoked", key: "keys/rsa2048-private.pem", status: scoring.Fail, title: "revoked",
			record: recordValue(t, "keys/rsa2048-public.txt")},
		{name: "same key under a wrong k=", selector: "mismatch", key: "keys/rsa2048-private.pem", status: scoring.Fail,
			title: "record is unusable", record: recordValue(t, "keys/rsa2048-public.txt")},
		{name: "one of two records matches", selector: "two", key: "keys/rsa2048-private.pem", status: scoring.Warn,
			record: recordValue(t, "keys/rsa2048-public.txt")},
		{name: "none of two records matches", selector: "two", key: "dkimpy/rfc8032_7_1.key", status: scoring.Fail,
			record: recordValue(t, "keys/rfc8463-ed25519-public.txt")},
		{name: "SERVFAIL is an error", selector: "good", key: "keys/rsa2048-private.pem", fault: dnstest.ServFail, status: scoring.Error},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runCheck(t, "dkim.key-match", tc) })
	}
}

func TestChecksApply(t *testing.T) {
	key := loadKey(t, "keys/rsa2048-private.pem")
	for _, tc := range []struct {
		ev            scoring.Evidence
		record, match bool
	}{
		{scoring.Evidence{}, false, false},
		{scoring.Evidence{Selector: "s", DKIMKey: key}, false, false},
		{scoring.Evidence{Domain: "example.com"}, true, false}, // probes the common selectors
		{scoring.Evidence{Domain: "example.com", Selector: "s"}, true, false},
		{scoring.Evidence{Domain: "example.com", Selector: "s", DKIMKey: key}, true, true},
		{scoring.Evidence{Domain: "example.com", DKIMKey: key}, true, true},
	} {
		cs := Checks()
		if cs[0].Applies(tc.ev) != tc.record || cs[1].Applies(tc.ev) != tc.match {
			t.Errorf("%+v: applies %v %v", tc.ev.Selector, cs[0].Applies(tc.ev), cs[1].Applies(tc.ev))
		}
	}
}

func TestNextSelector(t *testing.T) {
	for in, want := range map[string]string{"mail": "mail2", "s1": "s2", "s9": "s10", "2024": "2025", "dkim-2": "dkim-3"} {
		if got := nextSelector(in); got != want {
			t.Errorf("nextSelector(%q) = %q, want %q", in, got, want)
		}
	}
}
