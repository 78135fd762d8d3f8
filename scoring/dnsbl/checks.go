package dnsbl

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// Checks returns blocklist.ip and blocklist.domain over the whole Catalogue.
func Checks() []scoring.Check { return ChecksFor(Catalogue()) }

// ChecksFor returns the two checks over the given lists: the IP lists for
// blocklist.ip, the domain lists for blocklist.domain (a DQS set made by
// UseDQS goes here, and tests pass a few lists).
//
// Verdicts, in order of precedence:
//   - any refusal code (or an answer outside 127.0.0.0/8) → error, "unable
//     to check", with the reason and what to do; never fail and never pass,
//     whatever the other lists said (their answers stay in the detail);
//   - a listing on a blocking list → fail, with the delisting links, and
//     any lists that could not be asked noted;
//   - a timeout, SERVFAIL or failed health check on some list → error;
//   - only poor-reputation entries → warn; only information-only listings
//     (UCEPROTECT L2/L3, a neutral Mailspike score) → info;
//   - otherwise (clean, or a good reputation) → pass.
func ChecksFor(lists []List) []scoring.Check { return checksFor(lists, "") }

// WithDQS returns checks with blocklist.ip and blocklist.domain replaced
// by checks that ask the Spamhaus lists through the Data Query Service
// with key (<key>.zen.dq.spamhaus.net), which answers from any resolver.
// The key is masked in everything the results say; give it to
// dnsx.Config.Mask too, so the resolver's log hides it. An empty key
// returns checks unchanged.
func WithDQS(checks []scoring.Check, key scoring.Secret) []scoring.Check {
	if key == "" {
		return checks
	}
	byID := map[string]scoring.Check{}
	for _, c := range checksFor(Catalogue(), key) {
		byID[c.ID] = c
	}
	out := make([]scoring.Check, len(checks))
	for i, c := range checks {
		if dqs, ok := byID[c.ID]; ok {
			c = dqs
		}
		out[i] = c
	}
	return out
}

func checksFor(lists []List, key scoring.Secret) []scoring.Check {
	ipLists, domainLists := Filter(lists, IPList), Filter(lists, DomainList)
	return []scoring.Check{
		{
			ID:      "blocklist.ip",
			Title:   "Sending IPs on blocklists",
			Applies: func(e scoring.Evidence) bool { return len(e.IPs) > 0 },
			Run: func(ctx context.Context, env *scoring.Env) scoring.Result {
				return withDQS(ctx, env, key, ipLists, "blocklist.ip", checkIPs)
			},
		},
		{
			ID:      "blocklist.domain",
			Title:   "Sending domain on blocklists",
			Applies: func(e scoring.Evidence) bool { return strings.TrimSpace(e.Domain) != "" },
			Run: func(ctx context.Context, env *scoring.Env) scoring.Result {
				return withDQS(ctx, env, key, domainLists, "blocklist.domain", checkDomain)
			},
		},
	}
}

// withDQS runs a check over the lists, switched to the Spamhaus DQS zones
// when there is a key, and masks the key in everything the result says
// (titles, details, errors and its DNS queries name the zone asked).
func withDQS(ctx context.Context, env *scoring.Env, secret scoring.Secret, lists []List, id string,
	check func(context.Context, *scoring.Env, []List) scoring.Result) scoring.Result {
	key := secret.Reveal()
	if key == "" {
		return check(ctx, env, lists)
	}
	lists, ok := UseDQS(lists, key)
	if !ok {
		return scoring.Result{ID: id, Status: scoring.Error, Title: "Unable to check: the Spamhaus DQS key is malformed",
			Detail: "A DQS key is 26 letters and digits; the one given is not, so no list was asked with it."}
	}
	res := check(ctx, env, lists)
	hide := func(s string) string { return dnsx.MaskSecret(s, key) }
	res.Title, res.Detail = hide(res.Title), hide(res.Detail)
	if res.Fix != nil {
		fix := *res.Fix
		fix.Summary, fix.Snippet, fix.Manual = hide(fix.Summary), hide(fix.Snippet), hide(fix.Manual)
		res.Fix = &fix
	}
	qs := make([]dnsx.Query, len(res.Queries))
	for i, q := range res.Queries {
		q.Name, q.Error = hide(q.Name), hide(q.Error)
		q.Answers = append([]string(nil), q.Answers...)
		for j := range q.Answers {
			q.Answers[j] = hide(q.Answers[j])
		}
		qs[i] = q
	}
	if res.Queries != nil {
		res.Queries = qs
	}
	return res
}

func checkIPs(ctx context.Context, env *scoring.Env, lists []List) scoring.Result {
	const id = "blocklist.ip"
	var targets, notes []string
	seen := map[netip.Addr]bool{}
	for _, ip := range env.Evidence.IPs {
		ip = ip.Unmap().WithZone("")
		if !ip.IsValid() || seen[ip] {
			continue
		}
		seen[ip] = true
		if !ip.IsGlobalUnicast() || ip.IsPrivate() {
			notes = append(notes, fmt.Sprintf("%s not looked up: not a public address (blocklists list what they see on the Internet)", ip))
			continue
		}
		targets = append(targets, ip.String())
	}
	if len(targets) == 0 {
		return scoring.Result{ID: id, Status: scoring.Skip, Title: "No public sending IP to look up",
			Detail: strings.Join(notes, "\n")}
	}
	return verdict(id, runSurvey(ctx, env.DNS, lists, targets), notes)
}

func checkDomain(ctx context.Context, env *scoring.Env, lists []List) scoring.Result {
	const id = "blocklist.domain"
	given := scoring.NormalDomain(env.Evidence.Domain)
	// Lists hold registrable domains (DBL is wildcarded below them), so
	// mail.example.co.uk is asked as example.co.uk.
	reg, err := publicsuffix.EffectiveTLDPlusOne(given)
	if err != nil {
		// A bare host name (vm) or a public suffix (co.uk) is nothing a
		// domain list can hold: not applicable, and asking again will not
		// change it, so not "could not check" (which marks the score
		// incomplete and exits 3).
		return scoring.Result{ID: id, Status: scoring.Skip, Title: fmt.Sprintf("%s is not a registrable domain: nothing to look up on domain blocklists", sanitize(given, 100)),
			Detail: fmt.Sprintf("%q is a single name or a public suffix (such as com or co.uk), not a domain someone registered; domain blocklists list registered domains.", sanitize(given, 100))}
	}
	var notes []string
	if reg != given {
		notes = append(notes, fmt.Sprintf("%s looked up as its registrable domain %s", given, reg))
	}
	return verdict(id, runSurvey(ctx, env.DNS, lists, []string{reg}), notes)
}

// survey is every list's answer about every target, health-checked.
type survey struct {
	targets []string
	lists   []List
	results [][]ListResult // [target][list]
	health  []Health       // [list]; not Tested() when not asked
}

// runSurvey asks every list about every target and every list for its test
// points, all in one batch, all at once (under the MaxParallel cap, the
// listing questions first: a test point never delays one), then discounts
// the answers of lists that failed their test points.
func runSurvey(ctx context.Context, r *dnsx.Resolver, lists []List, targets []string) survey {
	s := survey{targets: targets, lists: lists, health: make([]Health, len(lists))}
	var jobs []job
	for _, t := range targets {
		for _, l := range lists {
			jobs = append(jobs, job{list: l, target: t})
		}
	}
	healthAt := make([]int, len(lists)) // index of the first test-point job, or -1
	for i, l := range lists {
		healthAt[i] = -1
		s.health[i] = Health{List: l}
		if s.health[i].Tested() && supportsAny(l, targets) {
			healthAt[i] = len(jobs)
			jobs = append(jobs, healthJobs(l)...)
		}
	}
	all := run(ctx, r, jobs, len(jobs))
	for i, l := range lists {
		if at := healthAt[i]; at >= 0 {
			h := &s.health[i]
			h.Listed, h.Clean = all[at], all[at+1]
			h.Err = judgeHealth(l, h.Listed, h.Clean)
		}
	}
	for ti := range targets {
		row := all[ti*len(lists) : (ti+1)*len(lists)]
		for li := range row {
			row[li] = applyHealth(row[li], s.health[li])
		}
		s.results = append(s.results, row)
	}
	return s
}

func supportsAny(l List, targets []string) bool {
	for _, t := range targets {
		if pt, err := parseTarget(t); err == nil {
			if ok, _ := l.supports(pt); ok {
				return true
			}
		}
	}
	return false
}

// applyHealth discounts an answer from a list that failed its test points:
// "not listed" means nothing from a list that does not list its own test
// point, and a listing means nothing from a list that lists everything.
// A listing from a list that merely did not answer its test point stands:
// the listing itself shows the list works.
func applyHealth(res ListResult, h Health) ListResult {
	if h.Err == nil || !res.Checked() {
		return res
	}
	listsAll := h.Clean.Checked() && h.Clean.Listed
	switch {
	case res.Listed && listsAll:
		res.Listed = false
		res.Err = fmt.Errorf("%s: listing not trusted: %w", res.List.Name, h.Err)
	case !res.Listed:
		res.Err = fmt.Errorf("%s: \"not listed\" not trusted: %w", res.List.Name, h.Err)
	}
	return res
}

// class is what one answer counts as in the verdict.
type class int

const (
	classClean   class = iota
	classListed        // with the severity of its worst meaning
	classRefused       // refusal code or foreign answer: this resolver cannot be used
	classFailed        // timeout, SERVFAIL, failed test points, cancelled
	classSkipped       // not asked
)

func classify(r ListResult) class {
	switch {
	case r.Skipped != "":
		return classSkipped
	case r.Err != nil && (errors.Is(r.Err, ErrRefused) || errors.Is(r.Err, ErrHijacked)):
		return classRefused
	case r.Err != nil:
		return classFailed
	case r.Listed:
		return classListed
	}
	return classClean
}

// verdict rolls the survey into one result; see ChecksFor for the rules.
func verdict(id string, s survey, notes []string) scoring.Result {
	var refused, failed []ListResult
	bySeverity := map[Severity][]ListResult{}
	asked := map[string]bool{}
	for _, row := range s.results {
		for _, r := range row {
			c := classify(r)
			if c != classSkipped {
				asked[r.List.Name] = true
			}
			switch c {
			case classRefused:
				refused = append(refused, r)
			case classFailed:
				failed = append(failed, r)
			case classListed:
				sev, _ := Worst(r.Meanings)
				bySeverity[sev] = append(bySeverity[sev], r)
			}
		}
	}
	res := scoring.Result{ID: id, Detail: detail(s, notes)}
	blocking := bySeverity[Blocking]
	switch {
	case len(refused) > 0:
		res.Status = scoring.Error
		res.Title = "Unable to check blocklists: " + refusedSummary(refused)
		if len(blocking) > 0 {
			res.Title += "; listed on " + listNames(blocking) + " (see detail)"
		}
		res.Fix = refusalFix(refused, blocking)
	case len(blocking) > 0:
		res.Status = scoring.Fail
		res.Title = listedTitle(s, blocking)
		if len(failed) > 0 {
			res.Title += fmt.Sprintf(" (%s could not be checked)", listNames(failed))
		}
		res.Fix = delistFix(blocking)
	case len(failed) > 0:
		res.Status = scoring.Error
		res.Title = fmt.Sprintf("Unable to check %s (%d of %d answers missing)", listNames(failed), len(failed), answerCount(s))
		res.Fix = &scoring.Fix{Summary: "Run the check again. If the same lists keep failing, make sure the resolver " +
			"(--resolver) can reach them; a list that ignores your resolver fails its test points — see the detail."}
	case len(bySeverity[Poor]) > 0:
		res.Status = scoring.Warn
		res.Title = "Poor reputation on " + listNames(bySeverity[Poor])
		res.Fix = &scoring.Fix{Summary: "Reputation follows sending behaviour: send only wanted mail, at a steady volume, " +
			"with SPF, DKIM and DMARC in place; it recovers on its own.", Link: bySeverity[Poor][0].List.Delist}
	case len(bySeverity[Informational]) > 0:
		res.Status = scoring.Info
		res.Title = "Not blocked; information only from " + listNames(bySeverity[Informational])
		res.Fix = infoFix(bySeverity[Informational])
	case len(asked) == 0:
		res.Status = scoring.Skip
		res.Title = "No list could be asked about these targets"
	case len(asked) == 1:
		res.Status = scoring.Pass
		for name := range asked {
			res.Title = "Not listed on " + name + " (the only list that could be asked)"
		}
	default:
		res.Status = scoring.Pass
		res.Title = fmt.Sprintf("Not listed on any of %d blocklists", len(asked))
	}
	return res
}

func answerCount(s survey) int {
	n := 0
	for _, row := range s.results {
		for _, r := range row {
			if r.Skipped == "" {
				n++
			}
		}
	}
	return n
}

// listNames returns the distinct list names of the results, in order.
func listNames(rs []ListResult) string {
	var names []string
	seen := map[string]bool{}
	for _, r := range rs {
		if !seen[r.List.Name] {
			seen[r.List.Name] = true
			names = append(names, r.List.Name)
		}
	}
	return strings.Join(names, ", ")
}

func listedTitle(s survey, blocking []ListResult) string {
	if len(s.targets) == 1 {
		return s.targets[0] + " is listed on " + listNames(blocking)
	}
	var parts []string
	for _, t := range s.targets {
		var mine []ListResult
		for _, r := range blocking {
			if r.Target == t {
				mine = append(mine, r)
			}
		}
		if len(mine) > 0 {
			parts = append(parts, t+" on "+listNames(mine))
		}
	}
	return "Listed: " + strings.Join(parts, "; ")
}

// refusedSummary names the lists that refused and the codes they used.
func refusedSummary(rs []ListResult) string {
	var parts []string
	seen := map[string]bool{}
	for _, r := range rs {
		if seen[r.List.Name] {
			continue
		}
		seen[r.List.Name] = true
		var re *RefusalError
		switch {
		case errors.As(r.Err, &re):
			cause := re.Refusal.Cause
			if cause == "" {
				cause = "refused the query"
			}
			parts = append(parts, fmt.Sprintf("%s answered %s: %s", r.List.Name, re.Refusal.Addr, cause))
		default:
			parts = append(parts, r.List.Name+" answer rewritten by the resolver")
		}
	}
	return strings.Join(parts, ", ")
}

func refusalFix(refused, blocking []ListResult) *scoring.Fix {
	var remedies []string
	fix := &scoring.Fix{}
	seen := map[string]bool{}
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			remedies = append(remedies, s)
		}
	}
	for _, r := range refused {
		var re *RefusalError
		if errors.As(r.Err, &re) {
			add(re.Refusal.Remedy)
			if fix.Link == "" {
				fix.Link = re.Refusal.Link
			}
		} else {
			add("Use a resolver that does not rewrite answers (no NXDOMAIN redirection or filtering). " + remedyOwnResolver)
		}
	}
	if len(blocking) > 0 {
		add("Meanwhile " + listNames(blocking) + " did list the target: see the detail and " + blocking[0].List.Delist + ".")
	}
	fix.Summary = strings.Join(remedies, " ")
	return fix
}

func delistFix(blocking []ListResult) *scoring.Fix {
	var links []string
	seen := map[string]bool{}
	for _, r := range blocking {
		if seen[r.List.Name] {
			continue
		}
		seen[r.List.Name] = true
		link := r.List.Name + ": " + r.List.Delist
		if r.List.DelistNote != "" {
			link += " (" + r.List.DelistNote + ")"
		}
		links = append(links, link)
	}
	return &scoring.Fix{
		Summary: "Find and stop what caused the listing first (a compromised account or host, a bad mailing list, " +
			"missing reverse DNS), then ask for removal — " + strings.Join(links, "; "),
		Link:   blocking[0].List.Delist,
		Manual: "A listing is removed by the list's operator, on request at the link given; nothing you publish in DNS clears it.",
	}
}

// infoFix explains information-only entries: what each list's entry is
// about and who can change it (from the lists' own delisting notes).
func infoFix(rs []ListResult) *scoring.Fix {
	notes := []string{"These entries are not a listing of your address and few receivers act on them."}
	seen := map[string]bool{}
	for _, r := range rs {
		if !seen[r.List.Name] && r.List.DelistNote != "" {
			seen[r.List.Name] = true
			notes = append(notes, r.List.Name+": "+r.List.DelistNote+".")
		}
	}
	return &scoring.Fix{Summary: strings.Join(notes, " "), Link: rs[0].List.Delist}
}

// detail writes one line per list and target: the list, its answer and
// what the answer means; listings add the list's reason and removal link,
// refusals the list's terms of use.
func detail(s survey, notes []string) string {
	width := 0
	for _, l := range s.lists {
		width = max(width, len(l.Name))
	}
	var b strings.Builder
	for ti, t := range s.targets {
		if ti > 0 {
			b.WriteString("\n")
		}
		b.WriteString(t + ":\n")
		var skipped []string // reasons, in order, and the lists for each
		skippedBy := map[string][]string{}
		for _, r := range s.results[ti] {
			if r.Skipped != "" {
				if skippedBy[r.Skipped] == nil {
					skipped = append(skipped, r.Skipped)
				}
				skippedBy[r.Skipped] = append(skippedBy[r.Skipped], r.List.Name)
				continue
			}
			lines := answerLines(r)
			for i, line := range lines {
				name := ""
				if i == 0 {
					name = r.List.Name
				}
				fmt.Fprintf(&b, "  %-*s  %s\n", width, name, line)
			}
		}
		for _, why := range skipped {
			fmt.Fprintf(&b, "  not asked, %s: %s\n", why, strings.Join(skippedBy[why], ", "))
		}
	}
	for _, n := range notes {
		b.WriteString(n + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// answerLines describes one answer, first line first.
func answerLines(r ListResult) []string {
	took := ""
	if d := r.Elapsed.Round(100 * time.Microsecond); r.Name != "" && d > 0 {
		took = fmt.Sprintf(" (%s)", d)
	}
	switch classify(r) {
	case classRefused, classFailed:
		lines := []string{"unable to check: " + problem(r) + took}
		if r.Refusal != nil && r.List.Terms != "" {
			lines = append(lines, "terms: "+r.List.Terms)
		}
		return lines
	case classListed:
		var lines []string
		for i, m := range r.Meanings {
			line := fmt.Sprintf("%s %s: %s", labelOf(m.Severity), m.Code, m.Text)
			if i == 0 {
				line += took
			}
			lines = append(lines, line)
		}
		if r.Reason != "" {
			lines = append(lines, fmt.Sprintf("list's own text: %q", r.Reason))
		}
		if sev, _ := Worst(r.Meanings); sev == Blocking {
			removal := "removal: " + r.List.Delist
			if r.List.DelistNote != "" {
				removal += " (" + r.List.DelistNote + ")"
			}
			lines = append(lines, removal)
		}
		return lines
	}
	return []string{"not listed" + took}
}

func labelOf(s Severity) string {
	switch s {
	case Blocking:
		return "LISTED"
	case Poor:
		return "poor"
	case Informational:
		return "info"
	}
	return "good"
}

// problem says why a list could not be checked, without the list's name
// (the detail line already starts with it).
func problem(r ListResult) string {
	var re *RefusalError
	if errors.As(r.Err, &re) && r.Refusal != nil {
		return re.Refusal.Reason
	}
	return strings.TrimPrefix(r.Err.Error(), r.List.Name+": ")
}
