package dkim

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// commonSelector is a selector many senders publish a key at without
// choosing it: the default of a signing tool or hosting panel, or the fixed
// name a mail provider asks its customers to publish.
type commonSelector struct {
	Name   string
	Source string // who uses it; for maintainers of this table
}

// commonSelectors are asked, all at once, when no selector is given, so a
// domain with no DKIM key at all is told so (as mail-tester does) instead
// of the check being skipped. The order breaks ties when several hold an
// equally good key. Providers that give each domain a random selector
// (Amazon SES, Postmark, newer Mailgun domains) cannot be guessed: the
// result says to give --selector.
var commonSelectors = []commonSelector{
	{"default", "opendkim-genkey's default selector; cPanel and Plesk publish it"},
	{"dkim", "Rspamd's dkim_signing default; mailcow"},
	{"mail", "Mail-in-a-Box; Brevo (Sendinblue); most exim and postfix guides"},
	{"s1", "SendGrid (s1 and s2 CNAMEs); mailcred's own examples"},
	{"s2", "SendGrid's second key"},
	{"selector1", "Microsoft 365 (selector1 and selector2 CNAMEs to onmicrosoft.com)"},
	{"selector2", "Microsoft 365's second key"},
	{"google", "Google Workspace (the default prefix in the admin console)"},
	{"k1", "Mailchimp (k1 CNAME to dkim.mcsv.net)"},
	{"smtp", "Mailgun's long-standing default"},
	{"key1", "Migadu (key1 to key3 CNAMEs)"},
	{"sig1", "iCloud+ custom email domains"},
	{"fm1", "Fastmail (fm1 to fm3 CNAMEs)"},
	{"protonmail", "Proton Mail (protonmail to protonmail3 CNAMEs)"},
	{"x", "DirectAdmin's default, hence MXroute"},
}

// probed is what DNS said at one common selector.
type probed struct {
	selector string
	p        published
	key      bool // a TXT record there is meant as a DKIM key
}

// what says in a word what the probe found, to group probes in details.
func (pr probed) what() string {
	switch {
	case pr.key:
		return "key record"
	case len(pr.p.joined) > 0:
		return "TXT that is not a DKIM key"
	}
	return pr.p.ans.Outcome.String()
}

// probeSelectors asks for the key record of every common selector at once:
// the probes are independent, so together they cost one round trip.
func probeSelectors(ctx context.Context, r *dnsx.Resolver, domain string) []probed {
	out := make([]probed, len(commonSelectors))
	var wg sync.WaitGroup
	for i, s := range commonSelectors {
		wg.Go(func() { out[i] = probed{selector: s.Name, p: lookupKey(ctx, r, s.Name, domain)} })
	}
	wg.Wait()
	// Records are read here, not in the goroutines, so a parser bug is
	// caught by the recover of the check that called us.
	for i := range out {
		out[i].key = slices.ContainsFunc(out[i].p.joined, looksLikeKeyRecord)
	}
	return out
}

// looksLikeKeyRecord reports whether a TXT record found by probing is meant
// as a DKIM key: it starts with v=DKIM1, or it is a tag-list with p=. A
// wildcard SPF record or a verification token at the name is not a key.
func looksLikeKeyRecord(txt string) bool {
	if strings.HasPrefix(strings.TrimLeft(txt, " \t"), "v=DKIM1") {
		return true
	}
	tags, _, err := parseTagList(txt)
	return err == nil && slices.ContainsFunc(tags, func(t Tag) bool { return t.Name == "p" })
}

// split sorts the probes into those holding a key and those that could not
// be answered, each in table order.
func split(probes []probed) (found, failed []probed) {
	for _, pr := range probes {
		switch {
		case pr.key:
			found = append(found, pr)
		case pr.p.ans.Outcome.Temporary():
			failed = append(failed, pr)
		}
	}
	return found, failed
}

// probeRecord is dkim.record without a selector: the best key found at the
// common selectors is judged as if it had been given; none found is a
// warning, since the selector in use may just be another name.
func probeRecord(ctx context.Context, id string, env *scoring.Env) scoring.Result {
	ev := env.Evidence
	probes := probeSelectors(ctx, env.DNS, ev.Domain)
	found, failed := split(probes)
	if len(found) == 0 {
		if len(failed) > 0 {
			return probeError(id, ev, probes, failed)
		}
		return noKeyFound(id, ev, probes)
	}

	// The best key: the one the loaded private key signs for, if any,
	// then the best graded, then the first in the table.
	best, bestRes := -1, scoring.Result{}
	for i, pr := range found {
		e := ev
		e.Selector = pr.selector
		res := judgeRecord(id, e, pr.p)
		if best < 0 || better(ev, pr, res, found[best], bestRes) {
			best, bestRes = i, res
		}
	}

	names := make([]string, len(found))
	for i, pr := range found {
		names[i] = pr.selector
	}
	line := fmt.Sprintf("No --selector given: asked %d common selectors; found a DKIM key record at %s",
		len(probes), strings.Join(names, ", "))
	if len(found) > 1 {
		line += fmt.Sprintf("; judged here: %s", found[best].selector)
	}
	line += ". Give --selector to check the one your MTA signs with exactly."
	if len(failed) > 0 {
		line += fmt.Sprintf(" (%d could not be answered: %s.)", len(failed), selectorNames(failed))
	}
	bestRes.Detail = line + "\n" + bestRes.Detail
	return bestRes
}

// better reports whether the key at a (graded ra) is a better pick than
// the one at b (graded rb).
func better(ev scoring.Evidence, a probed, ra scoring.Result, b probed, rb scoring.Result) bool {
	if ma, mb := holdsKey(ev, a), holdsKey(ev, b); ma != mb {
		return ma
	}
	return rb.Status.Worse(ra.Status)
}

// holdsKey reports whether a probed name publishes the loaded private
// key's public half.
func holdsKey(ev scoring.Evidence, pr probed) bool {
	if ev.DKIMKey == nil {
		return false
	}
	for _, txt := range pr.p.joined {
		if rec, _, err := ParseKeyRecord(txt); err == nil && rec.PublicKey != nil && samePublicKey(rec.PublicKey, ev.DKIMKey.Public()) {
			return true
		}
	}
	return false
}

// fallbackSelector is the selector proposed when none is in use.
const fallbackSelector = "s1"

func noKeyFound(id string, ev scoring.Evidence, probes []probed) scoring.Result {
	name := RecordName(fallbackSelector, ev.Domain)
	res := scoring.Result{
		ID:     id,
		Status: scoring.Warn,
		Title:  "No DKIM key found at common selectors",
		Detail: fmt.Sprintf("No --selector given, so %d common selectors were asked at %s; none holds a DKIM key:\n%s\n"+
			"Your MTA may sign with a selector of its own (Amazon SES and Postmark, for example, make one per domain): give --selector to check it. "+
			"If nothing signs, every message is left with SPF alone (Gmail and Microsoft want both for bulk mail).",
			len(probes), strings.TrimSuffix(strings.ToLower(ev.Domain), "."), grouped(probes)),
	}
	if r := recordFromKey(name, ev.DKIMKey); r != nil {
		res.Fix = &scoring.Fix{
			Summary: fmt.Sprintf("Publish the public half of the key you sign with at %s and sign with selector %s; "+
				"or, if it is already published under another selector, give --selector.", name, fallbackSelector),
			Records: []scoring.DNSRecord{*r},
		}
		return res
	}
	res.Fix = &scoring.Fix{Summary: fmt.Sprintf(
		"Generate a key pair with `%s`, publish the TXT record it prints at %s, and configure your MTA to sign with the private key "+
			"(exim: dkim_domain, dkim_selector, dkim_private_key on the remote_smtp transport; postfix: OpenDKIM); "+
			"or, if your MTA already signs, give --selector.",
		keygenCommand(ev, fallbackSelector), name)}
	return res
}

// probeError is the result when lookups failed and none of the others
// found a key: whether the domain has one is not known.
func probeError(id string, ev scoring.Evidence, probes, failed []probed) scoring.Result {
	title := fmt.Sprintf("Could not look up DKIM keys at common selectors (%s)", failed[0].p.ans.Outcome)
	if len(failed) < len(probes) {
		title = fmt.Sprintf("Could not be sure: %d of %d DKIM selector lookups failed, the rest hold no key", len(failed), len(probes))
	}
	return scoring.Result{
		ID:     id,
		Status: scoring.Error,
		Title:  title,
		Detail: fmt.Sprintf("No --selector given, so %d common selectors were asked:\n%s\n"+
			"This says nothing about the records themselves; check again later, or give --selector.", len(probes), grouped(probes)),
		Fix: &scoring.Fix{Summary: fmt.Sprintf("Retry. If it persists, check that the name servers of %s answer: dig %s TXT",
			zoneOf(failed[0].p.name), failed[0].p.name)},
	}
}

// grouped lists the probes by what they found, one line per kind, in the
// order kinds first appear in the table.
func grouped(probes []probed) string {
	var kinds []string
	by := map[string][]probed{}
	for _, pr := range probes {
		k := pr.what()
		if _, ok := by[k]; !ok {
			kinds = append(kinds, k)
		}
		by[k] = append(by[k], pr)
	}
	lines := make([]string, len(kinds))
	for i, k := range kinds {
		lines[i] = fmt.Sprintf("  %s: %s", k, selectorNames(by[k]))
	}
	return strings.Join(lines, "\n")
}

func selectorNames(probes []probed) string {
	names := make([]string, len(probes))
	for i, pr := range probes {
		names[i] = pr.selector
	}
	return strings.Join(names, ", ")
}

// probeKeyMatch is dkim.key-match without a selector: it compares the key
// when exactly one common selector holds one, and otherwise says that a
// selector is needed (dkim.record reports what was found).
func probeKeyMatch(ctx context.Context, id string, env *scoring.Env) scoring.Result {
	ev := env.Evidence
	found, _ := split(probeSelectors(ctx, env.DNS, ev.Domain))
	if len(found) != 1 {
		why := "none of the common selectors holds a DKIM key"
		if len(found) > 1 {
			why = fmt.Sprintf("%d common selectors hold a DKIM key: %s", len(found), selectorNames(found))
		}
		return scoring.Result{ID: id, Status: scoring.Skip,
			Title:  "DKIM record matches the private key: not applicable without --selector",
			Detail: "No --selector given, and " + why + " (see dkim.record). Give --selector to compare the key."}
	}
	ev.Selector = found[0].selector
	res := matchKey(id, ev, found[0].p)
	res.Detail = fmt.Sprintf("No --selector given: the only common selector holding a DKIM key is %s, compared here; "+
		"give --selector to compare the one your MTA signs with exactly.\n%s", ev.Selector, res.Detail)
	return res
}
