package dmarc

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/mailcred/mailcred/scoring/dnstest"
)

// Behaviour of the RFC 9989 tree walk beyond cases.json, from RFC 9989
// §4.10-§4.10.2 and mailauth's rfc9989-compliance-test.js.
func TestDiscoverTreeWalk(t *testing.T) {
	for _, tc := range []struct {
		name          string
		zone          zone
		author        string
		status        Status
		record, org   string
		p             Policy
		queries       []string
		orgPSL        string
		fail, timeout []string
	}{
		{name: "psd=n at the author stops the walk at once",
			zone:   txtZone("_dmarc.mail.example.com", "v=DMARC1; p=reject; psd=n", "_dmarc.example.com", "v=DMARC1; p=none"),
			author: "mail.example.com", status: StatusFound, record: "mail.example.com", org: "mail.example.com", p: PolicyReject,
			queries: []string{"_dmarc.mail.example.com"}, orgPSL: "example.com"},
		{name: "the record with the fewest labels is the policy, not an intermediate one",
			zone:   txtZone("_dmarc.b.example.com", "v=DMARC1; p=none", "_dmarc.example.com", "v=DMARC1; p=reject"),
			author: "a.b.example.com", status: StatusFound, record: "example.com", org: "example.com", p: PolicyReject,
			queries: []string{"_dmarc.a.b.example.com", "_dmarc.b.example.com", "_dmarc.example.com", "_dmarc.com"}},
		{name: "a multi-record set above the author is discarded and the walk goes on",
			zone: txtZone("_dmarc.b.example.com", "v=DMARC1; p=reject; psd=n", "_dmarc.b.example.com", "v=DMARC1; p=none",
				"_dmarc.example.com", "v=DMARC1; p=quarantine"),
			author: "a.b.example.com", status: StatusFound, record: "example.com", org: "example.com", p: PolicyQuarantine},
		{name: "PSD policy applies when the organizational domain has no record",
			zone:   txtZone("_dmarc.bank.example", "v=DMARC1; p=reject; sp=quarantine; psd=y"),
			author: "mail.giant.bank.example", status: StatusFound, record: "bank.example", org: "giant.bank.example", p: PolicyReject,
			queries: []string{"_dmarc.mail.giant.bank.example", "_dmarc.giant.bank.example", "_dmarc.bank.example"}},
		{name: "a PSD sending as itself is its own organizational domain",
			zone:   txtZone("_dmarc.bank.example", "v=DMARC1; p=reject; psd=y"),
			author: "bank.example", status: StatusFound, record: "bank.example", org: "bank.example"},
		{name: "a name the PSL lists as a suffix inherits a published policy",
			zone:   txtZone("_dmarc.blogspot.com", "v=DMARC1; p=reject"),
			author: "alice.blogspot.com", status: StatusFound, record: "blogspot.com", org: "blogspot.com", orgPSL: "alice.blogspot.com"},
		{name: "an author record without a usable policy is none, not the parent's",
			zone:   txtZone("_dmarc.mail.example.com", "v=DMARC1; adkim=s", "_dmarc.example.com", "v=DMARC1; p=reject"),
			author: "mail.example.com", status: StatusNone, record: "mail.example.com", org: "example.com"},
		{name: "duplicate tags at the author are permerror",
			zone:   txtZone("_dmarc.example.com", "v=DMARC1; p=reject; p=none"),
			author: "example.com", status: StatusPermError, record: "example.com", org: "example.com"},
		{name: "a failure above the author's own record leaves the policy, not the org domain",
			zone:   txtZone("_dmarc.mail.example.com", "v=DMARC1; p=reject"),
			author: "mail.example.com", status: StatusFound, record: "mail.example.com", org: "", p: PolicyReject,
			fail: []string{"_dmarc.example.com"}},
		{name: "a failure above an author without record is temperror",
			zone:   txtZone("_dmarc.example.com", "v=DMARC1; p=reject"),
			author: "mail.example.com", status: StatusTempError, timeout: []string{"_dmarc.example.com"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.zone, tc.fail...)
			for _, n := range tc.timeout {
				w.srv.SetFault(n, dnstest.Timeout)
			}
			d := Discover(context.Background(), w.r, tc.author)
			if d.Status != tc.status || d.RecordDomain != tc.record || d.OrgDomain != tc.org {
				t.Errorf("status %s record %q org %q (%v), want %s %q %q; queries %v",
					d.Status, d.RecordDomain, d.OrgDomain, d.Err, tc.status, tc.record, tc.org, d.Queries)
			}
			if tc.p != "" && (d.Record == nil || d.Record.P != tc.p) {
				t.Errorf("record %+v, want p=%s", d.Record, tc.p)
			}
			if tc.queries != nil && !slices.Equal(w.txtQueries(), tc.queries) {
				t.Errorf("queries %v, want %v", w.txtQueries(), tc.queries)
			}
			if tc.orgPSL != "" && d.OrgDomainPSL != tc.orgPSL {
				t.Errorf("PSL org %q, want %q", d.OrgDomainPSL, tc.orgPSL)
			}
			if (tc.fail != nil || tc.timeout != nil) && !errors.Is(d.Err, ErrTempDNS) {
				t.Errorf("err %v, want ErrTempDNS", d.Err)
			}
		})
	}
}

func TestDiscoverNeverMoreThanEightQueries(t *testing.T) {
	w := newWorld(t, zone{})
	d := Discover(context.Background(), w.r, "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.example.com")
	if n := len(w.txtQueries()); n != 8 || d.Status != StatusNone {
		t.Errorf("%d queries (%v), status %s; want 8, none", n, w.txtQueries(), d.Status)
	}
}

func TestTreeWalkOrgDomain(t *testing.T) {
	w := newWorld(t, txtZone("_dmarc.example.com", "v=DMARC1; p=reject"), "_dmarc.broken.example")
	ctx := context.Background()
	if org, err := TreeWalkOrgDomain(ctx, w.r, "a.b.example.com"); org != "example.com" || err != nil {
		t.Errorf("org = %q, %v", org, err)
	}
	if org, err := TreeWalkOrgDomain(ctx, w.r, "x.broken.example"); !errors.Is(err, ErrTempDNS) {
		t.Errorf("org = %q, %v; want ErrTempDNS", org, err)
	}
}
