package demo

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-msgauth/authres"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dmarc"
	"github.com/mailcred/mailcred/scoring/dnsbl"
	"github.com/mailcred/mailcred/scoring/headers"
	"github.com/mailcred/mailcred/scoring/rdns"
	"github.com/mailcred/mailcred/scoring/spf"
	"github.com/mailcred/mailcred/session/sign"
)

// Report is the tester's verdict on one message, mail-tester style: a
// score out of ten, what cost points, and the Authentication-Results
// header a receiver would add.
type Report struct {
	At        time.Time
	MessageID string
	From      string // the From: header as written
	MailFrom  string
	SourceIP  netip.Addr
	HELO      string
	Score     scoring.Score
	// Results are the checks run, in order: the message's headers and
	// format, SPF for the source address, its PTR, blocklists, the DKIM
	// signature and DMARC alignment.
	Results []scoring.Result
	// Deductions are the results that cost points, largest first.
	Deductions []Deduction
	// AuthenticationResults is the header value (RFC 8601) for spf, dkim
	// and dmarc.
	AuthenticationResults string
}

// Deduction is one line of the tester's report: "-1.2 headers.to No To: header".
type Deduction struct {
	ID     string
	Points float64
	Title  string
}

// String reads "-1.2 headers.to: No To: header".
func (d Deduction) String() string { return fmt.Sprintf("-%.1f %s: %s", d.Points, d.ID, d.Title) }

// TesterReport is the report on the last message the tester received, or
// nil before the first.
func (w *World) TesterReport() *Report {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.report
}

// testerChecks are the checks the tester runs on what it receives: the
// catalogue's own message checks and, for the source address, spf.result,
// rdns.ptr and blocklist.ip; dkim.signature and dmarc.alignment come from
// the judgement (see receivedChecks).
func testerChecks() []scoring.Check {
	pick := func(checks []scoring.Check, id string) []scoring.Check {
		return slices.DeleteFunc(checks, func(c scoring.Check) bool { return c.ID != id })
	}
	var out []scoring.Check
	out = append(out, headers.Checks()...)
	out = append(out, pick(spf.Checks(), "spf.result")...)
	out = append(out, pick(rdns.Checks(), "rdns.ptr")...)
	out = append(out, pick(dnsbl.Checks(), "blocklist.ip")...)
	return out
}

// score runs the tester's checks on the message of j.
func (w *World) score(j *judgement) *Report {
	// The judgement is not safe for concurrent use: work out its verdicts
	// before the checks run in parallel.
	sigs, dm := j.dkimResults(), j.dmarcResult()
	checks := append(testerChecks(), receivedChecks(sigs, dm)...)
	ev := scoring.Evidence{Domain: j.mailFromDomain(), MailFrom: j.mailFrom, IPs: []netip.Addr{j.ip},
		HELO: j.helo, Message: j.msg}
	results := scoring.RunAll(j.ctx, &scoring.Env{Evidence: ev, DNS: j.dns}, checks)
	rep := &Report{At: w.opts.Clock(), MailFrom: j.mailFrom, SourceIP: j.ip, HELO: j.helo,
		Score: scoring.DefaultWeights.Compute(results), Results: results}
	m := headers.Parse(j.msg)
	if f := m.Get("Message-ID"); len(f) == 1 {
		rep.MessageID = f[0].Value
	}
	if f := m.Get("From"); len(f) == 1 {
		rep.From = f[0].Value
	}
	for _, r := range results {
		pts := scoring.DefaultWeights[r.ID]
		if r.Status == scoring.Warn {
			pts /= 2
		}
		if (r.Status == scoring.Fail || r.Status == scoring.Warn) && pts > 0 {
			rep.Deductions = append(rep.Deductions, Deduction{ID: r.ID, Points: pts, Title: r.Title})
		}
	}
	slices.SortStableFunc(rep.Deductions, func(a, b Deduction) int {
		switch {
		case a.Points > b.Points:
			return -1
		case a.Points < b.Points:
			return 1
		}
		return 0
	})
	rep.AuthenticationResults = authResults(j, sigs, dm)
	return rep
}

// receivedChecks are dkim.signature and dmarc.alignment judged on the
// message as received (the catalogue has their ids and weights; the
// session's own versions can replace these when they exist).
func receivedChecks(sigs []sign.SignatureResult, dm *dmarc.Evaluation) []scoring.Check {
	return []scoring.Check{
		{ID: "dkim.signature", Title: "DKIM signature", Run: func(context.Context, *scoring.Env) scoring.Result {
			return signatureResult(sigs)
		}},
		{ID: "dmarc.alignment", Title: "DMARC alignment", Run: func(context.Context, *scoring.Env) scoring.Result {
			return alignmentResult(dm)
		}},
	}
}

// signatureResult: pass when a signature verifies against the published
// key; mail-tester's "-1 no DKIM" otherwise.
func signatureResult(sigs []sign.SignatureResult) scoring.Result {
	if len(sigs) == 0 {
		return scoring.Result{Status: scoring.Fail, Title: "The message is not DKIM-signed",
			Detail: "No DKIM-Signature header: receivers cannot tie the message to example.com.",
			Fix:    &scoring.Fix{Summary: "Publish the DKIM key and have the MTA sign (fix dkim.publish)."}}
	}
	var lines []string
	status := scoring.Fail
	for _, s := range sigs {
		lines = append(lines, s.Explain())
		switch {
		case s.Status == sign.Pass:
			status = scoring.Pass
		case s.Status == sign.TempError && status != scoring.Pass:
			status = scoring.Error
		}
	}
	detail := strings.Join(lines, "\n")
	switch status {
	case scoring.Pass:
		return scoring.Result{Status: status, Title: "DKIM signature verifies", Detail: detail}
	case scoring.Error:
		return scoring.Result{Status: status, Title: "DKIM key could not be fetched", Detail: detail}
	}
	return scoring.Result{Status: status, Title: "DKIM signature does not verify", Detail: detail,
		Fix: &scoring.Fix{Summary: "Publish the key the MTA signs with, at the selector it signs with."}}
}

// alignmentResult: DMARC pass, fail, or — with no policy published —
// information only (mail-tester takes no points for it; Gmail files such
// mail as spam, which the Gmail-like mailbox shows).
func alignmentResult(dm *dmarc.Evaluation) scoring.Result {
	detail := strings.Join(dm.Reasons, "\n")
	switch dm.Result {
	case dmarc.ResultPass:
		return scoring.Result{Status: scoring.Pass, Title: "DMARC passes: SPF or DKIM aligned with " + dm.FromDomain, Detail: detail}
	case dmarc.ResultNone:
		return scoring.Result{Status: scoring.Info, Title: "No DMARC policy for " + dm.FromDomain,
			Detail: "Without a _dmarc record receivers decide alone; Gmail files such mail as spam more readily.",
			Fix:    &scoring.Fix{Summary: "Publish v=DMARC1; p=none; rua=mailto:dmarc@example.com (fix dmarc.publish)."}}
	case dmarc.ResultTempError:
		return scoring.Result{Status: scoring.Error, Title: "DMARC could not be checked (DNS)", Detail: detail}
	}
	return scoring.Result{Status: scoring.Fail, Title: "DMARC fails for " + dm.FromDomain, Detail: detail,
		Fix: &scoring.Fix{Summary: "Make SPF or DKIM pass with the From domain."}}
}

// authResults is the Authentication-Results value the tester would add.
func authResults(j *judgement, sigs []sign.SignatureResult, dm *dmarc.Evaluation) string {
	results := []authres.Result{&authres.SPFResult{Value: authres.ResultValue(j.spfResult().Result), From: j.mailFromDomain()}}
	if len(sigs) == 0 {
		results = append(results, &authres.DKIMResult{Value: authres.ResultNone})
	}
	for _, s := range sigs {
		results = append(results, &authres.DKIMResult{Value: authres.ResultValue(s.Status), Domain: s.Domain})
	}
	results = append(results, &authres.DMARCResult{Value: authres.ResultValue(dm.Result), From: dm.FromDomain})
	// authres writes "dkim=none ;" for a result without parameters.
	return strings.ReplaceAll(authres.Format(j.domain, results), " ;", ";")
}
