// Package fixproof proves a fix by applying it: the records of a
// scoring.Fix are published into an in-process zone (scoring/dnstest)
// exactly as printed — each record's master-file line parsed back — and
// the check is run again. The property tests of the catalogue use it, and
// so can any check's own tests.
package fixproof

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/miekg/dns"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnstest"
)

// MaxRounds bounds a staged fix: a DMARC record starts at p=none and its
// next fix raises it; no fix may need more rounds than this to pass.
const MaxRounds = 3

// Publish puts recs into srv as a person following the fix would: a TXT
// record replaces the TXT records at its name that carry the same version
// tag (v=spf1, v=DMARC1, v=DKIM1, v=STSv1, v=TLSRPTv1, v=BIMI1, …) and
// leaves other TXT records alone; records of any other type replace the
// set of that type at their name.
func Publish(srv *dnstest.Server, recs []scoring.DNSRecord) error {
	type key struct {
		name  string
		qtype uint16
	}
	groups := map[key][]dns.RR{}
	var order []key
	for _, r := range recs {
		rr, err := dns.NewRR(r.ZoneLine())
		if err != nil {
			return fmt.Errorf("fixproof: %q does not parse as a zone line: %w", r.ZoneLine(), err)
		}
		if rr == nil {
			return fmt.Errorf("fixproof: %q is empty", r.ZoneLine())
		}
		k := key{strings.ToLower(rr.Header().Name), rr.Header().Rrtype}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], rr)
	}
	for _, k := range order {
		rrs := groups[k]
		if k.qtype == dns.TypeTXT {
			versions := map[string]bool{}
			for _, rr := range rrs {
				versions[Version(strings.Join(rr.(*dns.TXT).Txt, ""))] = true
			}
			for _, old := range srv.Records(k.name) {
				if t, ok := old.(*dns.TXT); ok && !versions[Version(strings.Join(t.Txt, ""))] {
					rrs = append(rrs, old)
				}
			}
		}
		srv.Replace(k.name, k.qtype, rrs...)
	}
	return nil
}

// Version is the version tag a TXT record starts with, lower case
// ("v=spf1", "v=dmarc1"), or the whole value for a record without one.
func Version(txt string) string {
	if m := versionTag.FindStringSubmatch(txt); m != nil {
		return "v=" + strings.ToLower(m[1])
	}
	return strings.ToLower(strings.TrimSpace(txt))
}

// versionTag is a leading v= tag, white space allowed around "=" as DMARC
// allows (RFC 9989 §4.7).
var versionTag = regexp.MustCompile(`^[ \t]*[vV][ \t]*=[ \t]*([A-Za-z0-9]+)`)

// ErrNoFix: a check that does not pass gave no fix at all.
var ErrNoFix = errors.New("fixproof: no fix")

// ErrNotPublishable: a fix without records that does not say why it
// cannot be applied by publishing records (Fix.Manual).
var ErrNotPublishable = errors.New("fixproof: a fix without records must say who applies it and why (Manual)")

// Outcome is what applying a check's fixes led to.
type Outcome struct {
	Rounds int            // fixes published
	Manual string         // set when the chain ended at a fix applied elsewhere
	Final  scoring.Result // the check's last result
	Steps  []string       // the records published, round by round, for a failure message
}

// Passed reports whether the check passes after the fixes.
func (o Outcome) Passed() bool { return Done(o.Final.Status) }

// Done is a status with nothing left to fix.
func Done(s scoring.Status) bool {
	return s == scoring.Pass || s == scoring.Info || s == scoring.Skip
}

// RoundTrip runs check, and while it neither passes nor errs publishes its
// fix into srv and runs it again, at most MaxRounds times. A fix without
// records ends the chain: it must carry Manual (else ErrNotPublishable).
func RoundTrip(ctx context.Context, srv *dnstest.Server, env *scoring.Env, check scoring.Check) (Outcome, error) {
	var o Outcome
	run := func() scoring.Result {
		env.DNS.Flush()
		return scoring.RunAll(ctx, env, []scoring.Check{check})[0]
	}
	o.Final = run()
	for !Done(o.Final.Status) && o.Final.Status != scoring.Error {
		fix := o.Final.Fix
		switch {
		case fix == nil:
			return o, fmt.Errorf("%w: %s %s: %s", ErrNoFix, check.ID, o.Final.Status, o.Final.Title)
		case len(fix.Records) == 0 && fix.Manual == "":
			return o, fmt.Errorf("%w: %s: %s", ErrNotPublishable, check.ID, fix.Summary)
		case len(fix.Records) == 0:
			o.Manual = fix.Manual
			return o, nil
		case o.Rounds == MaxRounds:
			return o, nil
		}
		var lines []string
		for _, r := range fix.Records {
			lines = append(lines, r.ZoneLine())
		}
		o.Steps = append(o.Steps, strings.Join(lines, "\n"))
		if err := Publish(srv, fix.Records); err != nil {
			return o, err
		}
		o.Rounds++
		o.Final = run()
	}
	return o, nil
}
