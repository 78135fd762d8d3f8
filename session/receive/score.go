package receive

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsbl"
	"github.com/mailcred/mailcred/scoring/headers"
	"github.com/mailcred/mailcred/scoring/rdns"
	"github.com/mailcred/mailcred/scoring/receiver"
	"github.com/mailcred/mailcred/scoring/safetext"
	"github.com/mailcred/mailcred/scoring/spf"
)

// maxEnvelopeText bounds a client's HELO or address in a Report.
const maxEnvelopeText = 256

// transaction is what a session knows when the message has arrived.
type transaction struct {
	received time.Time
	peer     netip.AddrPort // the TCP peer: the connecting IP (no XCLIENT, no PROXY)
	helo     string
	mailFrom string // "" for the null reverse-path
	rcpts    []string
	tls      string
}

// score judges the message as `mailcred score` does, with what the SMTP
// session saw as evidence: the peer's IP, the HELO name, the MAIL FROM.
// It fails only when no resolver can be made or the server is closing.
func (s *Server) score(tr transaction, raw []byte) (rep Report, err error) {
	defer func() {
		// Judge reads hostile input outside scoring.Run's own guard.
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v", p)
		}
	}()
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.ScoreTimeout)
	defer cancel()

	msg, lfLines := toCRLF(raw)
	var notes []string
	if lfLines > 0 {
		notes = append(notes, fmt.Sprintf("%d line(s) end in LF alone: converted to CRLF for verification, as an MTA would on receipt "+
			"(message.format judges the message as received)", lfLines))
	}
	_, fromDomain, _ := receiver.AuthorAddress(msg)
	helo := strings.TrimSuffix(strings.TrimSpace(tr.helo), ".")
	mailFrom := tr.mailFrom
	if mailFrom == "" && helo != "" {
		// RFC 7208 §2.4: with a null reverse-path SPF checks
		// postmaster@ the HELO name.
		mailFrom = "postmaster@" + helo
		notes = append(notes, "MAIL FROM:<> (a bounce): SPF checks the HELO identity "+safetext.Line(mailFrom, maxEnvelopeText)+" (RFC 7208 §2.4)")
	}
	r, err := s.opts.NewResolver(fromDomain, domainOf(mailFrom))
	if err != nil {
		return Report{}, fmt.Errorf("resolver: %w", err)
	}
	ev := scoring.Evidence{Domain: fromDomain, MailFrom: mailFrom, HELO: helo, Message: msg}
	if ip := tr.peer.Addr(); ip.IsValid() {
		ev.IPs = []netip.Addr{ip}
	}
	env := &scoring.Env{Evidence: ev, DNS: r}
	auth := receiver.AuthenticationResults(s.opts.Hostname, receiver.Judge(ctx, r, ev))
	results := s.runChecks(ctx, env, raw)
	if err := s.ctx.Err(); err != nil {
		return Report{}, fmt.Errorf("scoring abandoned: %w", err)
	}

	rcpts := make([]string, len(tr.rcpts))
	for i, to := range tr.rcpts {
		rcpts[i] = safetext.Line(to, maxEnvelopeText)
	}
	return Report{
		Received: tr.received,
		Peer:     tr.peer.String(),
		HELO:     safetext.Line(tr.helo, maxEnvelopeText),
		MailFrom: safetext.Line(tr.mailFrom, maxEnvelopeText),
		Rcpts:    rcpts,
		Size:     len(raw),
		TLS:      tr.tls,
		Domain:   fromDomain,
		Score:    s.opts.Weights.Compute(results),
		Results:  results,
		Notes:    notes,
		Queries:  r.Log(),

		AuthenticationResults: auth,
	}, nil
}

// runChecks runs what `mailcred score` runs, in its order: spf.result for
// the connecting IP and the message checks (catalog.Message: DKIM,
// DMARC, headers), then reverse DNS and blocklists. The header checks see
// the message as received; the others the CRLF form a receiver verifies.
func (s *Server) runChecks(ctx context.Context, env *scoring.Env, raw []byte) []scoring.Result {
	asReceived := *env
	asReceived.Evidence.Message = raw
	var spfResult []scoring.Check
	for _, c := range spf.Checks() {
		if c.ID == spf.CheckResult {
			spfResult = append(spfResult, c)
		}
	}
	results := scoring.RunAll(ctx, env, append(spfResult, receiver.Checks()...))
	results = append(results, scoring.RunAll(ctx, &asReceived, headers.Checks())...)
	return append(results, scoring.RunAll(ctx, env, append(rdns.Checks(), dnsbl.Checks()...))...)
}

// toCRLF turns every LF not preceded by CR into CRLF (RFC 5322 §2.1 line
// endings, RFC 5321 §2.3.8) and counts them; the input is returned as is
// when there are none.
func toCRLF(raw []byte) ([]byte, int) {
	n := 0
	for i, c := range raw {
		if c == '\n' && (i == 0 || raw[i-1] != '\r') {
			n++
		}
	}
	if n == 0 {
		return raw, 0
	}
	out := make([]byte, 0, len(raw)+n)
	for i, c := range raw {
		if c == '\n' && (i == 0 || raw[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out, n
}

func domainOf(addr string) string {
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		return normalDomain(addr[at+1:])
	}
	return ""
}
