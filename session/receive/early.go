package receive

import (
	"context"
	"slices"

	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/receiver"
)

// early is the DNS work of one transaction started at MAIL FROM
// (receiver.Prepare): SPF, the envelope domain's DMARC, reverse DNS and
// blocklists are asked while the client sends its recipients and the
// message, so that at the end of DATA only what the message itself names
// is left to ask. One at a time per session: a new MAIL FROM, RSET, the
// end of the transaction or of the session cancels it.
type early struct {
	r      *dnsx.Resolver
	conn   receiver.Connection
	cancel context.CancelFunc
	done   chan struct{}
}

// startEarly starts the work for conn; nil when no resolver can be made
// (the message is then scored as it would have been without it).
func (s *Server) startEarly(conn receiver.Connection) *early {
	r, err := s.opts.NewResolver(domainsOf(nil, conn)...)
	if err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.ScoreTimeout)
	e := &early{r: r, conn: conn, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		defer func() {
			// Checks read hostile input; a bug costs the head start only.
			if p := recover(); p != nil {
				s.log.Printf("early checks for %s: internal error: %v", conn.IP, p)
			}
		}()
		receiver.Prepare(ctx, r, conn, s.receiverOptions())
	}()
	return e
}

// stop cancels the work and waits for it to end (promptly: every lookup
// returns on cancellation), so a session never leaves more than one behind.
func (e *early) stop() {
	if e == nil {
		return
	}
	e.cancel()
	<-e.done
}

// resolverFor returns the early resolver when it can judge the message:
// the same connection and envelope, and no fresh-mode domain of the
// message (asked of its authoritative servers) that it does not ask so.
// Otherwise it returns fresh, the message's own resolver.
func (e *early) resolverFor(conn receiver.Connection, fresh *dnsx.Resolver) *dnsx.Resolver {
	if e == nil || e.conn != conn {
		return fresh
	}
	have := e.r.Fresh()
	for _, d := range fresh.Fresh() {
		if !slices.Contains(have, d) {
			return fresh
		}
	}
	return e.r
}

// domainsOf are receiver.DomainsOf without the empty ones (no From
// domain yet, or none at all).
func domainsOf(raw []byte, conn receiver.Connection) []string {
	var out []string
	for _, d := range receiver.DomainsOf(raw, conn) {
		if d != "" && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}
