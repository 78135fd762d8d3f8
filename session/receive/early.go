package receive

import (
	"context"
	"slices"

	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/receiver"
)

// early is DNS work started before the message has arrived: at EHLO for
// the connection (receiver.PrepareConnection: the HELO name's SPF, reverse
// DNS and blocklists of the IP) and at MAIL FROM for the transaction
// (receiver.Prepare: SPF, the envelope domain's DMARC and MX, the same
// checks), asked while the client sends its envelope and the message, so
// that at the end of DATA only what the message itself names is left to
// ask. A session runs at most one of each: a new MAIL FROM, RSET and the
// end of the transaction cancel the transaction's, the end of the session
// both.
type early struct {
	r      *dnsx.Resolver
	conn   receiver.Connection
	cancel context.CancelFunc
	done   chan struct{}
	used   bool // a connection's resolver taken over by its first transaction
}

// startHello starts the connection's work; nil when no resolver can be
// made.
func (s *Server) startHello(conn receiver.Connection) *early {
	r, err := s.opts.NewResolver()
	if err != nil {
		return nil
	}
	return s.startWork(r, conn, func(ctx context.Context) {
		receiver.PrepareConnection(ctx, r, conn.IP, conn.HELO, s.receiverOptions())
	})
}

// startEarly starts the transaction's work for conn, on the connection's
// resolver when this is its first transaction and that resolver serves
// the envelope's domains (so what EHLO asked is joined); nil when no
// resolver can be made (the message is then scored as it would have been
// without it).
func (s *Server) startEarly(conn receiver.Connection, hello *early) *early {
	r, err := s.opts.NewResolver(domainsOf(nil, conn)...)
	if err != nil {
		return nil
	}
	if hello != nil && !hello.used {
		at := conn
		at.MailFrom = ""
		if hello.conn == at && covers(hello.r, r) {
			r, hello.used = hello.r, true
		}
	}
	return s.startWork(r, conn, func(ctx context.Context) {
		receiver.Prepare(ctx, r, conn, s.receiverOptions())
	})
}

// startWork runs work on its own goroutine, bounded by ScoreTimeout and
// the server's life.
func (s *Server) startWork(r *dnsx.Resolver, conn receiver.Connection, work func(context.Context)) *early {
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
		work(ctx)
	}()
	return e
}

// covers reports whether have asks authoritative servers (fresh mode)
// about every domain want does: then have may answer for want.
func covers(have, want *dnsx.Resolver) bool {
	got := have.Fresh()
	for _, d := range want.Fresh() {
		if !slices.Contains(got, d) {
			return false
		}
	}
	return true
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
	if e == nil || e.conn != conn || !covers(e.r, fresh) {
		return fresh
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
