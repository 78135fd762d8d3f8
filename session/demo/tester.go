package demo

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/catalog"
	"github.com/mailcred/mailcred/scoring/dmarc"
	"github.com/mailcred/mailcred/scoring/dnsbl"
	"github.com/mailcred/mailcred/scoring/headers"
	"github.com/mailcred/mailcred/scoring/rdns"
	"github.com/mailcred/mailcred/scoring/receiver"
	"github.com/mailcred/mailcred/scoring/spf"
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
	// Results are the checks run, in order: the message as a receiver
	// judges it (the DKIM signature, DMARC alignment, the headers and
	// format), then SPF for the source address, its PTR and blocklists.
	Results []scoring.Result
	// Deductions are the results that cost points, largest first.
	Deductions []Deduction
	// AuthenticationResults is the header value (RFC 8601) for spf, dkim
	// and dmarc, as scoring/receiver writes it with the tester's domain as
	// the authserv-id.
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
// catalogue's message checks (catalog.Message: scoring/receiver's
// dkim.signature and dmarc.alignment, then the headers and format) and,
// for the source address, spf.result, rdns.ptr and blocklist.ip. v is the
// receiver's verdict on the same evidence; dmarc.alignment is scored as
// mail-tester scores it (see asMailTester).
func testerChecks(v *receiver.Verdict) []scoring.Check {
	pick := func(checks []scoring.Check, id string) []scoring.Check {
		return slices.DeleteFunc(checks, func(c scoring.Check) bool { return c.ID != id })
	}
	var out []scoring.Check
	for _, c := range catalog.Message() {
		if c.ID == receiver.CheckAlignment {
			c = asMailTester(c, v)
		}
		out = append(out, c)
	}
	out = append(out, pick(spf.Checks(), "spf.result")...)
	out = append(out, pick(rdns.Checks(), "rdns.ptr")...)
	out = append(out, pick(dnsbl.Checks(), "blocklist.ip")...)
	return out
}

// asMailTester wraps dmarc.alignment the way mail-tester counts it: the
// receiver warns when no DMARC record is published (Gmail and Yahoo want
// one from bulk senders), but mail-tester scores with SpamAssassin, whose
// DMARC_MISSING costs 0.001, so the tester reports that warning as
// information and deducts nothing. The Gmail-like mailbox is where the
// demo shows its cost: it files such mail as spam. A DMARC failure, a
// temporary error or an unusable record is reported as the receiver
// judges it.
func asMailTester(c scoring.Check, v *receiver.Verdict) scoring.Check {
	run := c.Run
	c.Run = func(ctx context.Context, env *scoring.Env) scoring.Result {
		res := run(ctx, env)
		if res.Status == scoring.Warn && v.DMARC != nil && v.DMARC.Result == dmarc.ResultNone {
			res.Status = scoring.Info
		}
		return res
	}
	return c
}

// score runs the tester's checks on the message of j: scoring/receiver's
// ScoreMessage, as `mailcred score` and `mailcred receive` score, with the
// tester's own list of checks and its domain as the authserv-id.
func (w *World) score(j *judgement) *Report {
	sc := receiver.ScoreMessage(j.ctx, j.dns, j.msg, j.connection(), receiver.Options{AuthservID: j.domain, Checks: testerChecks})
	rep := &Report{At: w.opts.Clock(), MailFrom: j.mailFrom, SourceIP: j.ip, HELO: j.helo,
		Score: sc.Score, Results: sc.Results, AuthenticationResults: sc.AuthenticationResults}
	m := headers.Parse(j.msg)
	if f := m.Get("Message-ID"); len(f) == 1 {
		rep.MessageID = f[0].Value
	}
	if f := m.Get("From"); len(f) == 1 {
		rep.From = f[0].Value
	}
	for _, r := range sc.Results {
		if pts := scoring.DefaultWeights.Cost(r); pts > 0 {
			rep.Deductions = append(rep.Deductions, Deduction{ID: r.ID, Points: pts, Title: r.Title})
		}
	}
	slices.SortStableFunc(rep.Deductions, func(a, b Deduction) int { return cmp.Compare(b.Points, a.Points) })
	return rep
}
