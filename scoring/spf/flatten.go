package spf

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// Flattening is a replacement for an SPF record that needs too many DNS
// lookups: includes (and a/mx terms) resolved to the ip4:/ip6: terms they
// authorise today, terms that cannot be resolved statically (macros,
// exists, includes whose records hold anything but addresses) kept as they
// are, and the addresses moved into include:_spfN.<domain> records when
// one record would not fit a string of 255 bytes or a 512-byte UDP answer.
type Flattening struct {
	// Records to publish: the domain's record first, then the _spfN ones.
	Records []scoring.DNSRecord
	// Lookups is what the new tree costs (RFC 7208 §4.6.4 allows 10).
	Lookups int
	// Resolved are the terms replaced by addresses; Kept the terms left
	// as they are, each with the reason; Dropped the ptr terms removed.
	Resolved, Kept, Dropped []string
	// Checked says, per sending IP, what check_host() gives with the new
	// records in place: the proof the fix is offered on.
	Checked []string
}

// flattenLimit is the record size the top record and every _spfN record
// stay under: maxRecordSize keeps the answer within 512 bytes (RFC 7208
// §3.4), and the record is published as character-strings of at most 255
// bytes each (RFC 1035 §3.3.14), which receivers join with nothing
// between them (RFC 7208 §3.3).
const flattenLimit = maxRecordSize

// ErrCannotFlatten says no flattening stays within the limits.
var ErrCannotFlatten = errors.New("spf: cannot flatten")

// Flatten builds a Flattening of domain's record that authorises ips (the
// sending IPs are listed first) and re-evaluates it for every one of them
// with the new records in place before returning it.
func Flatten(ctx context.Context, r *dnsx.Resolver, domain string, ips []netip.Addr) (*Flattening, error) {
	var probe netip.Addr
	if len(ips) > 0 {
		probe = ips[0]
	}
	a := Inspect(ctx, r, domain, probe, "postmaster@"+domain)
	switch {
	case a.Result == TempError:
		return nil, fmt.Errorf("%w: %s", ErrCannotFlatten, a.Error)
	case a.Record == "":
		return nil, fmt.Errorf("%w: %s has no SPF record", ErrCannotFlatten, domain)
	}
	rec, err := Parse(a.Record)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCannotFlatten, err)
	}
	f := &Flattening{}
	var passIPs, other []string // pass-qualified ip terms; every other term, in order
	keptLookups := 0
	addIP := func(list *[]string, t string) {
		if !containsFold(passIPs, t) && !containsFold(other, t) {
			*list = append(*list, t)
		}
	}
	for _, ip := range ips {
		addIP(&passIPs, ipTerm(ip))
	}
	place := func(q Qualifier, terms []string) {
		for _, t := range terms {
			if q == QPass {
				addIP(&passIPs, t)
			} else {
				addIP(&other, string(q)+t)
			}
		}
	}
	all := ""
	seenRecord := map[string]string{} // qualifier + included record → the term that included it
	for i := range rec.Directives {
		d := &rec.Directives[i]
		var term *Term
		if i < len(a.Tree.Terms) {
			term = a.Tree.Terms[i]
		}
		if why := brokenTerm(term); why != "" && d.Mechanism != MechAll {
			// Receivers give permerror when they reach it (a loop, a limit,
			// a broken record below): it authorises nobody.
			f.Dropped = append(f.Dropped, d.Text+" (broken: "+why+")")
			continue
		}
		if d.Mechanism == MechInclude && term != nil && term.Child != nil && term.Child.Record != "" && !strings.Contains(term.Child.Record, "%") {
			k := string(d.Qualifier) + term.Child.Record
			if first, ok := seenRecord[k]; ok {
				f.Dropped = append(f.Dropped, d.Text+" (the same record as "+first+")")
				continue
			}
			seenRecord[k] = d.Text
		}
		switch d.Mechanism {
		case MechIP4, MechIP6:
			place(d.Qualifier, []string{strings.TrimLeft(d.Text, "+-~?")})
		case MechAll:
			all = d.Text
		case MechPTR:
			f.Dropped = append(f.Dropped, d.Text+" (discouraged, RFC 7208 §5.5)")
		default:
			if term != nil && term.Void && !strings.Contains(d.Domain, "%") {
				// It found nothing: an include of it is a permerror (RFC
				// 7208 §5.2), an a/mx/exists matches nothing, and each
				// costs one of the two void lookups (§4.6.4).
				f.Dropped = append(f.Dropped, d.Text+" (void: it found nothing)")
				continue
			}
			if ts, ok := resolvedTerms(ctx, r, a.Tree.Domain, d, term); ok {
				place(d.Qualifier, ts)
				f.Resolved = append(f.Resolved, d.Text)
				continue
			}
			other = append(other, d.Text)
			f.Kept = append(f.Kept, d.Text+" ("+keptReason(d)+")")
			keptLookups += termCost(term)
		}
		if all != "" {
			break // RFC 7208 §5.1: terms after all are never tested
		}
	}
	if all == "" && rec.Redirect != nil {
		// The redirect target decides what matches nothing here (RFC 7208
		// §6.1): inline it when it is plain addresses, else keep it.
		last := a.Tree.Terms[len(a.Tree.Terms)-1]
		if why := brokenTerm(last); why != "" {
			f.Dropped = append(f.Dropped, rec.Redirect.Text+" (broken: "+why+")")
		} else if ts, q, ok := plainRecord(ctx, r, last.Child, 0); ok {
			place(QPass, ts)
			all = string(q) + "all"
			f.Resolved = append(f.Resolved, rec.Redirect.Text)
		} else {
			f.Kept = append(f.Kept, rec.Redirect.Text+" (its target holds more than addresses)")
			keptLookups += termCost(last)
			all = rec.Redirect.Text
		}
	}
	if all == "" {
		all = "-all"
	}
	records, chunks := layout(domain, passIPs, other, all)
	f.Lookups = keptLookups + chunks
	if f.Lookups > MaxLookups {
		return nil, fmt.Errorf("%w: the terms that must stay as they are (%s) need %d lookups with the address records",
			ErrCannotFlatten, strings.Join(f.Kept, ", "), f.Lookups)
	}
	f.Records = records
	if err := f.verify(ctx, r, domain, ips); err != nil {
		return nil, err
	}
	return f, nil
}

// layout renders the records: one when it fits, else the pass-qualified
// addresses in _spfN records of at most flattenLimit bytes each.
func layout(domain string, passIPs, other []string, all string) ([]scoring.DNSRecord, int) {
	one := strings.Join(slices.Concat([]string{"v=spf1"}, passIPs, other, []string{all}), " ")
	if len(one) <= flattenLimit {
		return []scoring.DNSRecord{scoring.TXTRecord(domain, one)}, 0
	}
	var chunks [][]string
	size := 0
	for _, t := range passIPs {
		if len(chunks) == 0 || size+1+len(t)+len(" -all") > flattenLimit {
			chunks = append(chunks, nil)
			size = len("v=spf1")
		}
		chunks[len(chunks)-1] = append(chunks[len(chunks)-1], t)
		size += 1 + len(t)
	}
	top := []string{"v=spf1"}
	var rest []scoring.DNSRecord
	for i, c := range chunks {
		name := fmt.Sprintf("_spf%d.%s", i+1, domain)
		top = append(top, "include:"+name)
		rest = append(rest, scoring.TXTRecord(name, strings.Join(slices.Concat([]string{"v=spf1"}, c, []string{"-all"}), " ")))
	}
	top = append(append(top, other...), all)
	return append([]scoring.DNSRecord{scoring.TXTRecord(domain, strings.Join(top, " "))}, rest...), len(chunks)
}

// verify evaluates the new records for every sending IP and walks their
// whole tree: every IP must pass and the tree stay within the limits.
func (f *Flattening) verify(ctx context.Context, r *dnsx.Resolver, domain string, ips []netip.Addr) error {
	c := &Checker{Resolver: r, Overlay: map[string]string{}}
	for _, rec := range f.Records {
		c.Overlay[strings.ToLower(rec.Name)] = rec.Value
		if len(rec.Value) > flattenLimit {
			return fmt.Errorf("%w: %s would be %d bytes, too long for a 512-byte UDP answer", ErrCannotFlatten, rec.Name, len(rec.Value))
		}
	}
	var probe netip.Addr
	if len(ips) > 0 {
		probe = ips[0]
	}
	if a := c.Inspect(ctx, domain, probe, "postmaster@"+domain); a.Result != "" || a.Lookups > MaxLookups {
		return fmt.Errorf("%w: the flattened tree gives %s: %s", ErrCannotFlatten, a.Result, a.Error)
	}
	for _, ip := range ips {
		e := c.Evaluate(ctx, ip, "postmaster@"+domain, "")
		f.Checked = append(f.Checked, fmt.Sprintf("%s: %s (%d lookups)", ip, e.Result, e.Lookups))
		if e.Result != Pass {
			return fmt.Errorf("%w: %s would get %s: %s", ErrCannotFlatten, ip, e.Result, e.Explanation)
		}
	}
	return nil
}

// brokenTerm is the first error in a term or the tree below it, or "".
func brokenTerm(t *Term) string {
	if t == nil {
		return ""
	}
	if t.Error != "" {
		return t.Error
	}
	return nodeError(t.Child, 0)
}

func nodeError(n *Node, depth int) string {
	if n == nil || depth > MaxLookups {
		return ""
	}
	if n.Result == PermError && n.Error != "" {
		return n.Error
	}
	for _, t := range n.Terms {
		if t.Error != "" {
			return t.Error
		}
		if e := nodeError(t.Child, depth+1); e != "" {
			return e
		}
	}
	return ""
}

// resolvedTerms returns the ip4:/ip6: terms a term stands for today, when
// it can be resolved statically: a or mx without macros, or an include of
// a record made only of such terms.
func resolvedTerms(ctx context.Context, r *dnsx.Resolver, self string, d *Directive, term *Term) ([]string, bool) {
	if term == nil || term.Error != "" || strings.Contains(d.Domain, "%") {
		return nil, false
	}
	switch d.Mechanism {
	case MechA, MechMX:
		return addrTerms(ctx, r, self, d, term)
	case MechInclude:
		ts, q, ok := plainRecord(ctx, r, term.Child, 0)
		// Only the pass part of a record makes an include match (RFC 7208
		// §5.2); a record whose all passes everything cannot be listed.
		return ts, ok && q != QPass
	}
	return nil, false
}

// plainRecord returns the addresses a record authorises and the qualifier
// of its all, when it is made only of pass-qualified ip4/ip6/a/mx terms,
// plain includes of such records and an all (or a plain redirect).
func plainRecord(ctx context.Context, r *dnsx.Resolver, n *Node, depth int) ([]string, Qualifier, bool) {
	if n == nil || n.Record == "" || n.Error != "" || depth > MaxLookups {
		return nil, 0, false
	}
	rec, err := Parse(n.Record)
	if err != nil {
		return nil, 0, false
	}
	var out []string
	for i := range rec.Directives {
		d := &rec.Directives[i]
		if d.Mechanism == MechAll {
			return out, d.Qualifier, true
		}
		if d.Qualifier != QPass || i >= len(n.Terms) {
			return nil, 0, false
		}
		switch d.Mechanism {
		case MechIP4, MechIP6:
			out = append(out, strings.TrimPrefix(d.Text, "+"))
		case MechA, MechMX:
			ts, ok := addrTerms(ctx, r, n.Domain, d, n.Terms[i])
			if !ok {
				return nil, 0, false
			}
			out = append(out, ts...)
		case MechInclude:
			ts, q, ok := plainRecord(ctx, r, n.Terms[i].Child, depth+1)
			if !ok || q == QPass || strings.Contains(d.Domain, "%") {
				return nil, 0, false
			}
			out = append(out, ts...)
		default:
			return nil, 0, false
		}
	}
	if rec.Redirect != nil && len(n.Terms) > len(rec.Directives) {
		ts, q, ok := plainRecord(ctx, r, n.Terms[len(n.Terms)-1].Child, depth+1)
		return append(out, ts...), q, ok
	}
	return out, QNeutral, true // no all: neutral (RFC 7208 §4.7)
}

// addrTerms resolves an a or mx term to ip4:/ip6: terms, both families,
// with its CIDR lengths (RFC 7208 §5.6).
func addrTerms(ctx context.Context, r *dnsx.Resolver, self string, d *Directive, term *Term) ([]string, bool) {
	if term == nil || term.Error != "" || strings.Contains(d.Domain, "%") {
		return nil, false
	}
	names := term.Names
	if d.Mechanism == MechA {
		names = []string{term.Target}
		if names[0] == "" {
			names[0] = d.Domain
		}
		if names[0] == "" {
			names[0] = self
		}
	}
	var out []string
	for _, name := range names {
		if name == "" {
			return nil, false
		}
		addrs, outc := r.LookupAddrs(ctx, queryName(strings.TrimSuffix(name, ".")))
		if outc.Temporary() {
			return nil, false
		}
		for _, ip := range addrs {
			ip = ip.Unmap()
			bits := d.CIDR4
			if ip.Is6() {
				bits = d.CIDR6
			}
			p := netip.PrefixFrom(ip, bits).Masked()
			t := "ip4:"
			if ip.Is6() {
				t = "ip6:"
			}
			if p.Bits() == ip.BitLen() {
				t += ip.String()
			} else {
				t += p.String()
			}
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out, true
}

// termCost is what a kept term adds to the lookup count.
func termCost(t *Term) int {
	if t == nil {
		return 1
	}
	n := 0
	if t.Lookup {
		n = 1
	}
	return n + t.Child.total()
}

func keptReason(d *Directive) string {
	switch {
	case strings.Contains(d.Domain, "%"):
		return "uses macros: it depends on each message"
	case d.Mechanism == MechExists:
		return "exists: depends on each message"
	}
	return "its record holds more than addresses"
}

// flattenSummary is the Fix text of a Flattening: what was done, the
// warning that resolved addresses go stale, and how to re-run.
func flattenSummary(domain string, f *Flattening, before int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Publish these records (SPF flattened: %d DNS lookups instead of %d).", f.Lookups, before)
	if len(f.Resolved) > 0 {
		fmt.Fprintf(&b, " Resolved to the addresses they authorise today: %s.", strings.Join(f.Resolved, ", "))
	}
	if len(f.Kept) > 0 {
		fmt.Fprintf(&b, " Kept as they are: %s.", strings.Join(f.Kept, ", "))
	}
	if len(f.Dropped) > 0 {
		fmt.Fprintf(&b, " Dropped: %s (your sending IPs are listed instead).", strings.Join(f.Dropped, ", "))
	}
	if len(f.Records) > 1 {
		fmt.Fprintf(&b, " The addresses are split into include:_spfN records so each answer stays under 512 bytes (at most %d bytes "+
			"of record, in strings of at most 255 bytes).", flattenLimit)
	}
	fmt.Fprintf(&b, " Checked with these records in place: %s.", strings.Join(f.Checked, "; "))
	if len(f.Resolved) > 0 {
		fmt.Fprintf(&b, " Warning: providers change their addresses without notice; re-run `mailcred check --domain %s` "+
			"(e.g. weekly, from cron) and republish when this fix changes.", domain)
	}
	return b.String()
}

// Authorise returns the records that make ips pass SPF for domain: the
// domain's record with ip4:/ip6: terms for them put first when that stays
// within the limits; a Flattening when the record is over them (lookups,
// void lookups, size); nil when neither can be offered.
func Authorise(ctx context.Context, r *dnsx.Resolver, domain string, ips []netip.Addr) []scoring.DNSRecord {
	var probe netip.Addr
	if len(ips) > 0 {
		probe = ips[0]
	}
	a := Inspect(ctx, r, domain, probe, "postmaster@"+domain)
	value := recordWithIPs(ctx, r, domain, ips)
	if a.Lookups <= MaxLookups && a.VoidLookups <= MaxVoidLookups && len(value) <= maxRecordSize {
		return []scoring.DNSRecord{scoring.TXTRecord(domain, value)}
	}
	if f, err := Flatten(ctx, r, domain, ips); err == nil {
		return f.Records
	}
	return nil
}
