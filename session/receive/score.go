package receive

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsbl"
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

	conn := receiver.Connection{IP: tr.peer.Addr(), HELO: tr.helo, MailFrom: tr.mailFrom, TLS: tr.tls}
	var notes []string
	if in.cut {
		notes = append(notes, fmt.Sprintf("the header section ran to %d fields in %d bytes (the message to %d bytes): "+
			"over the limits, so only its first %d bytes were kept and judged", in.header.Fields, in.header.Bytes, in.size, len(raw)))
	}
	r, err := s.opts.NewResolver(receiver.DomainsOf(raw, conn)...)
	if err != nil {
		return Report{}, fmt.Errorf("resolver: %w", err)
	}
	opts := receiver.Options{AuthservID: s.opts.Hostname, Weights: s.opts.Weights}
	if key := s.opts.DQSKey; key != "" {
		opts.Checks = func(*receiver.Verdict) []scoring.Check { return dnsbl.WithDQS(receiver.ReceivedChecks(), key) }
	}
	sc := receiver.ScoreMessage(ctx, r, raw, conn, opts)
	if err := s.ctx.Err(); err != nil {
		return Report{}, fmt.Errorf("scoring abandoned: %w", err)
	}
	for _, n := range sc.Notes {
		// A note may quote the client's HELO name.
		notes = append(notes, safetext.Line(n, 2*maxEnvelopeText))
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
		Domain:   sc.FromDomain,
		Score:    sc.Score,
		Results:  sc.Results,
		Notes:    notes,
		Queries:  r.Log(),

		AuthenticationResults: sc.AuthenticationResults,
	}, nil
}
