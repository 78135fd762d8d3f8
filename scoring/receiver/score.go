package receiver

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsbl"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/headers"
	"github.com/mailcred/mailcred/scoring/rdns"
	"github.com/mailcred/mailcred/scoring/spf"
)

// Connection is what the receiving server knew of the SMTP session a
// message came in: the connecting IP, the EHLO name, the reverse-path and
// how the connection was protected.
type Connection struct {
	IP   netip.Addr
	HELO string // as the client gave it; a final dot is ignored
	// MailFrom is the RFC5321.MailFrom; "" is the null reverse-path of a
	// bounce, for which SPF checks postmaster@HELO (RFC 7208 §2.4).
	MailFrom string
	// TLS describes the protection ("TLS 1.3 TLS_AES_128_GCM_SHA256"), ""
	// in plaintext. It is carried into the result, not judged: what a
	// receiver judges of TLS is the sender's own session (tls.starttls).
	TLS string
}

// Options tune ScoreMessage; the zero value scores as `mailcred score`.
type Options struct {
	// AuthservID names the receiver in the Authentication-Results field;
	// default "mailcred".
	AuthservID string
	// Weights score the results; default scoring.DefaultWeights.
	Weights scoring.Weights
	// Checks, when set, chooses the checks run after the verdict is known
	// (a mail-tester-like mailbox counts differently); default
	// ReceivedChecks. The verdict is the one the header field reports.
	Checks func(v *Verdict) []scoring.Check
	// Adjust, when set, changes the default checks (the CLI swaps in the
	// Spamhaus DQS lists). Unlike Checks it needs no verdict, so the
	// checks start at once with it.
	Adjust func([]scoring.Check) []scoring.Check
}

// Scored is the outcome of ScoreMessage: what a receiver concluded about
// one message, typed, for `score`, `receive` and the demo's tester to
// print each in its own way.
type Scored struct {
	Connection Connection
	// MailFrom is the identity SPF checked (postmaster@HELO for a bounce).
	MailFrom string
	// FromDomain is the DMARC Author Domain; "" when the From field does
	// not give exactly one address.
	FromDomain string
	// Verdict is SPF, DKIM and DMARC as worked out once;
	// AuthenticationResults is its RFC 8601 field value.
	Verdict               *Verdict
	AuthenticationResults string
	Results               []scoring.Result
	Score                 scoring.Score
	// Notes say what was assumed or converted (bare LF lines, a bounce's
	// SPF identity), as sentences for the reader.
	Notes []string
}

// ScoreMessage judges raw as a receiving server does when conn delivers
// it, asking DNS through r: SPF for the connecting IP, every DKIM
// signature, DMARC, the header checks, reverse DNS and blocklists, scored
// with the weights. raw is the message as it came; lines ending in a bare
// LF are read as CRLF for verification, as an MTA converts on receipt,
// while the header hygiene checks judge raw itself. It never fails: what
// could not be checked is an error result and marks the score incomplete.
func ScoreMessage(ctx context.Context, r *dnsx.Resolver, raw []byte, conn Connection, opts Options) *Scored {
	// Not converted here: a copy of a large message stored with bare LF
	// would double what scoring it holds. The DKIM verifier reads LF as
	// CRLF; everything else reads header fields, which parse either way.
	msg, lfLines := raw, bareLFs(raw)
	s := &Scored{Connection: conn}
	if lfLines > 0 {
		s.Notes = append(s.Notes, fmt.Sprintf("%d line(s) end in LF alone: converted to CRLF for verification, as an MTA would on receipt "+
			"(message.format judges the message as it came)", lfLines))
	}
	ev, note := conn.Evidence(msg)
	if note != "" {
		s.Notes = append(s.Notes, note)
	}
	s.FromDomain, s.MailFrom = ev.Domain, ev.MailFrom
	env := &scoring.Env{Evidence: ev, DNS: r}
	// The verdict is worked out once, for the field and for every check
	// that needs it (each DKIM signature verified once); with the default
	// checks they all start at once with it.
	ctx = WithSharedVerdict(ctx)
	var checks []scoring.Check
	var byID map[string]scoring.Result
	if opts.Checks == nil {
		checks = ReceivedChecks()
		if opts.Adjust != nil {
			checks = opts.Adjust(checks)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			byID = runReceived(ctx, env, raw, checks)
		}()
		s.Verdict = Judge(ctx, r, ev)
		<-done
	} else {
		s.Verdict = Judge(ctx, r, ev)
		checks = opts.Checks(s.Verdict)
		byID = runReceived(ctx, env, raw, checks)
	}
	authserv := opts.AuthservID
	if authserv == "" {
		authserv = "mailcred"
	}
	s.AuthenticationResults = AuthenticationResults(authserv, s.Verdict)
	for _, c := range checks {
		s.Results = append(s.Results, byID[c.ID])
	}
	w := opts.Weights
	if w == nil {
		w = scoring.DefaultWeights
	}
	s.Score = w.Compute(s.Results)
	return s
}

// Prepare asks DNS, for a message conn is about to deliver, what
// ScoreMessage will ask that the connection and the envelope alone decide:
// SPF for MAIL FROM and HELO, the DMARC record of the envelope's domain
// (most often the From domain too), reverse DNS and the blocklists. A
// receiving server calls it at MAIL FROM, while the client is still
// sending recipients and the message; ScoreMessage with the same r then
// finds those answers cached or joins them in flight, and only what the
// message says (its DKIM keys, another From domain's DMARC) is left to
// ask. Nothing is judged here: the answers are all it leaves behind. It
// returns when they are in or ctx is done; cancel ctx when the
// transaction is reset.
func Prepare(ctx context.Context, r *dnsx.Resolver, conn Connection, opts Options) {
	ev, _ := conn.Evidence(nil)
	helo := ev.HELO
	// The From domain is not known yet; the envelope's is the best guess
	// (a wrong one costs a few spare questions, never a verdict).
	ev.Domain = spfDomain(ev.MailFrom, helo)
	var wg sync.WaitGroup
	var mf, h *spf.Evaluation
	startSPF(ctx, &wg, r, ConnectingIP(ev), ev.MailFrom, helo, &mf, &h)
	if ev.Domain != "" {
		wg.Go(func() { discoverDMARC(ctx, r, ev.Domain) })
		if ip := ConnectingIP(ev); ip.IsValid() {
			wg.Go(func() { exchangerAddrs(ctx, r, ev.Domain, ip) })
		}
	}
	warmChecks(ctx, &wg, r, ev, opts)
	wg.Wait()
}

// PrepareConnection is Prepare at EHLO, before any envelope: SPF for the
// HELO identity, reverse DNS and the blocklists of the connecting IP. A
// receiving server calls it when the client has said who it is; Prepare
// and ScoreMessage with the same r join what it asked.
func PrepareConnection(ctx context.Context, r *dnsx.Resolver, ip netip.Addr, helo string, opts Options) {
	ev := scoring.Evidence{HELO: strings.TrimSuffix(strings.TrimSpace(helo), ".")}
	var wg sync.WaitGroup
	if ip.IsValid() {
		ev.IPs = []netip.Addr{ip.Unmap()}
		if ev.HELO != "" {
			wg.Go(func() { spf.Evaluate(ctx, r, ev.IPs[0], "", ev.HELO) })
		}
	}
	warmChecks(ctx, &wg, r, ev, opts)
	wg.Wait()
}

// warmChecks starts the default checks on evidence without a message,
// for their lookups: only the checks of the connection apply.
func warmChecks(ctx context.Context, wg *sync.WaitGroup, r *dnsx.Resolver, ev scoring.Evidence, opts Options) {
	if opts.Checks != nil {
		return // chosen with the verdict: not known yet
	}
	checks := ReceivedChecks()
	if opts.Adjust != nil {
		checks = opts.Adjust(checks)
	}
	wg.Go(func() { scoring.RunAll(ctx, &scoring.Env{Evidence: ev, DNS: r}, checks) })
}

// exchangerAddrs asks for domain's MX and its exchangers' addresses of
// ip's family: what an SPF "mx" naming the domain asks at the end of its
// include chain (the deepest lookup of many a chain), and where a bounce
// would go. At most spf.MaxNames exchangers, as "mx" uses (RFC 7208 §4.6.4).
func exchangerAddrs(ctx context.Context, r *dnsx.Resolver, domain string, ip netip.Addr) {
	mxs := r.Lookup(ctx, domain, dnsx.TypeMX).MXs()
	if len(mxs) > spf.MaxNames {
		return
	}
	qtype := dnsx.TypeA
	if ip.Unmap().Is6() {
		qtype = dnsx.TypeAAAA
	}
	var wg sync.WaitGroup
	for _, mx := range mxs {
		if host := strings.TrimSuffix(mx.Host, "."); host != "" {
			wg.Go(func() { r.Lookup(ctx, host, qtype) })
		}
	}
	wg.Wait()
}

// runReceived runs the checks, all at once: the header hygiene checks on
// the message as it came (a bare LF is their finding, not a verifier's),
// everything else on the CRLF form.
func runReceived(ctx context.Context, env *scoring.Env, raw []byte, checks []scoring.Check) map[string]scoring.Result {
	asCame := *env
	asCame.Evidence.Message = raw
	var hygiene, rest []scoring.Check
	for _, c := range checks {
		if headerCheck(c.ID) {
			hygiene = append(hygiene, c)
		} else {
			rest = append(rest, c)
		}
	}
	var hygieneResults []scoring.Result
	done := make(chan struct{})
	go func() {
		defer close(done)
		hygieneResults = scoring.RunAll(ctx, &asCame, hygiene)
	}()
	byID := map[string]scoring.Result{}
	for _, res := range scoring.RunAll(ctx, env, rest) {
		byID[res.ID] = res
	}
	<-done
	for _, res := range hygieneResults {
		byID[res.ID] = res
	}
	return byID
}

// Evidence is what a receiver judges when conn delivers msg (CRLF line
// endings): the From domain, the SPF identity, the HELO name without a
// final dot and the connecting IP; note says when the SPF identity is not
// the reverse-path itself (a bounce).
func (c Connection) Evidence(msg []byte) (ev scoring.Evidence, note string) {
	from, fromDomain, _ := AuthorAddress(msg)
	helo := strings.TrimSuffix(strings.TrimSpace(c.HELO), ".")
	mailFrom, note := spfIdentity(c.MailFrom, helo, from)
	ev = scoring.Evidence{Domain: fromDomain, MailFrom: mailFrom, HELO: helo, Message: msg}
	if c.IP.IsValid() {
		ev.IPs = []netip.Addr{c.IP.Unmap()}
	}
	return ev, note
}

// DomainsOf are the domains ScoreMessage will ask most about for raw and
// conn — the From domain and the SPF identity's — for a resolver that asks
// their authoritative servers (--fresh).
func DomainsOf(raw []byte, conn Connection) []string {
	ev, _ := conn.Evidence(HeaderCRLF(raw))
	return []string{ev.Domain, scoring.DomainOf(ev.MailFrom)}
}

// spfIdentity is the MAIL FROM SPF checks, and a note when it is not the
// reverse-path itself: a bounce's null reverse-path is checked as
// postmaster@HELO (RFC 7208 §2.4); with no HELO name either, the From
// address stands in.
func spfIdentity(mailFrom, helo, from string) (string, string) {
	switch {
	case mailFrom != "":
		return mailFrom, ""
	case helo != "":
		id := "postmaster@" + helo
		return id, "MAIL FROM:<> (a bounce): SPF checks the HELO identity " + id + " (RFC 7208 §2.4)"
	}
	if from == "" {
		return "", "MAIL FROM:<> (a bounce), no HELO name and no From address: SPF has no identity to check"
	}
	return from, "MAIL FROM:<> (a bounce) and no HELO name: SPF checks the From address instead"
}

// headerCheck reports the checks that judge the message's own bytes.
func headerCheck(id string) bool {
	for _, c := range headers.Checks() {
		if c.ID == id {
			return true
		}
	}
	return false
}

// ReceivedChecks are what a receiving server judges of a message, in the
// order `mailcred score` and `mailcred receive` print them: spf.result
// for the connecting IP, DKIM and DMARC (Checks), the header checks, then
// reverse DNS and blocklists.
func ReceivedChecks() []scoring.Check {
	var out []scoring.Check
	for _, c := range spf.Checks() {
		if c.ID == spf.CheckResult {
			out = append(out, c)
		}
	}
	out = append(out, Checks()...)
	out = append(out, headers.Checks()...)
	out = append(out, rdns.Checks()...)
	return append(out, dnsbl.Checks()...)
}
