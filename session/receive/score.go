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

// receiverOptions are how a message is scored here, and the early work
// started for it.
func (s *Server) receiverOptions() receiver.Options {
	opts := receiver.Options{AuthservID: s.opts.Hostname, Weights: s.opts.Weights}
	if key := s.opts.DQSKey; key != "" {
		// Adjust, not Checks: the checks start with the verdict, not after.
		opts.Adjust = func(c []scoring.Check) []scoring.Check { return dnsbl.WithDQS(c, key) }
	}
	return opts
}

// connection is what the receiver judges of the session.
func (tr transaction) connection() receiver.Connection {
	return receiver.Connection{IP: tr.peer.Addr(), HELO: tr.helo, MailFrom: tr.mailFrom, TLS: tr.tls}
}

// score judges the message as `mailcred score` does, with what the SMTP
// session saw as evidence: the peer's IP, the HELO name, the MAIL FROM.
// It fails only when no resolver can be made or the server is closing.
//
// The DNS work started at MAIL FROM (e, when not nil) is joined when it is
// of the same connection and envelope.
func (s *Server) score(tr transaction, in capture, e *early) (rep Report, err error) {
	raw := in.kept
	defer func() {
		// Judge reads hostile input outside scoring.Run's own guard.
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v", p)
		}
	}()
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.ScoreTimeout)
	defer cancel()

	conn := tr.connection()
	var notes []string
	if in.cut {
		notes = append(notes, fmt.Sprintf("the header section ran to %d fields in %d bytes (the message to %d bytes): "+
			"over the limits, so only its first %d bytes were kept and judged", in.header.Fields, in.header.Bytes, in.size, len(raw)))
	}
	r, err := s.opts.NewResolver(domainsOf(raw, conn)...)
	if err != nil {
		return Report{}, fmt.Errorf("resolver: %w", err)
	}
	r = e.resolverFor(conn, r)
	sc := receiver.ScoreMessage(ctx, r, raw, conn, s.receiverOptions())
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
