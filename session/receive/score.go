package receive

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/receiver"
	"github.com/mailcred/mailcred/scoring/safetext"
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
func (s *Server) score(tr transaction, in capture) (rep Report, err error) {
	raw := in.kept
	defer func() {
		// Judge reads hostile input outside scoring.Run's own guard.
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v", p)
		}
	}()
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.ScoreTimeout)
	defer cancel()

	msg, lfLines := receiver.ToCRLF(raw)
	var notes []string
	if in.cut {
		notes = append(notes, fmt.Sprintf("the header section ran to %d fields in %d bytes (the message to %d bytes): "+
			"over the limits, so only its first %d bytes were kept and judged", in.header.Fields, in.header.Bytes, in.size, len(raw)))
	}
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
	results := receiver.Received(ctx, env, raw)
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
		Size:     in.size,
		TLS:      tr.tls,
		Domain:   fromDomain,
		Score:    s.opts.Weights.Compute(results),
		Results:  results,
		Notes:    notes,
		Queries:  r.Log(),

		AuthenticationResults: auth,
	}, nil
}

func domainOf(addr string) string {
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		return normalDomain(addr[at+1:])
	}
	return ""
}
