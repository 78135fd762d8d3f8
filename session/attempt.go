package session

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/smtpc"
)

// attempt is one connection and what the session learned from it.
type attempt struct {
	Attempt
	delivery *smtpc.Delivery
	err      error
	tls      tlsNote
}

// tlsNote is what the transcript of an attempt says about STARTTLS that
// smtpc.Delivery does not: whether it was offered when the session failed
// early, and why TLS was not used.
type tlsNote struct {
	offered bool
	why     string
}

// tryOne delivers to one address of one host.
func tryOne(ctx context.Context, plan Plan, h Host, addr netip.Addr, env smtpc.Envelope, msg []byte, t *transcript) *attempt {
	target := netip.AddrPortFrom(addr, uint16(h.Port)).String()
	if h.Name != addr.String() { // smtpc's own "Trying ADDR" says the rest
		t.info("trying %s [%s]:%d", h.Name, addr, h.Port)
	}
	obs := &observer{}
	t.observe(obs.see)
	defer t.observe(nil)
	opts := smtpc.Options{
		Addr:                target,
		ServerName:          h.Name,
		LocalAddr:           plan.Route.LocalAddr,
		Network:             plan.Route.Family.network(),
		HELO:                plan.helo(),
		TLSMode:             plan.Route.tlsMode(),
		RootCAs:             plan.RootCAs,
		RequireVerifiedTLS:  plan.RequireVerifiedTLS,
		AllowUnverifiedAuth: plan.AllowUnverifiedAuth,
		Timeouts:            plan.Timeouts,
		Events:              t.emit,
	}
	d, err := smtpc.Deliver(ctx, opts, env, msg)
	a := &attempt{Attempt: Attempt{Host: h.Name, Addr: target}, delivery: d, err: err}
	var re *smtpc.ReplyError
	switch {
	case err == nil:
		a.Verdict, a.Stage, a.Reply = smtpx.Accepted, smtpx.EndOfData, d.Final
	case errors.As(err, &re):
		a.Stage, a.Reply = re.Stage, re.Reply
		switch a.Verdict = smtpx.OutcomeOf(re.Reply.Code); a.Verdict {
		case smtpx.Deferred, smtpx.Rejected:
		default: // a positive reply where another was due: a protocol fault
			a.Verdict, a.Err = smtpx.Failed, err.Error()
		}
	default:
		a.Verdict, a.Err = smtpx.Failed, err.Error()
		a.Desync = errors.Is(err, smtpc.ErrDesync)
		a.Withheld = errors.Is(err, smtpc.ErrUnverifiedAuth) || errors.Is(err, smtpc.ErrInsecureAuth)
		a.Stage = smtpx.Connect // an error from before the session began
		if st, ok := smtpc.StageOf(err); ok {
			a.Stage = st
		}
	}
	if d != nil && d.LocalAddr != nil {
		a.Local, _ = netip.ParseAddrPort(d.LocalAddr.String())
	}
	if !a.Local.IsValid() {
		a.Local = obs.local
	}
	a.tls = obs.note(plan.Route.tlsMode(), d, err)
	return a
}

// rank orders attempts by how much their result says: a final answer over
// a deferral over no answer at all.
func (a *attempt) rank() int {
	switch a.Verdict {
	case smtpx.Accepted, smtpx.Rejected:
		return 2
	case smtpx.Deferred:
		return 1
	}
	return 0
}

// moveOn returns why the next address is tried, or "" when the send ends
// here. Following RFC 5321 §5.1, for MX routes a deferral or a failure
// moves on to the next address and host; an acceptance or a permanent
// refusal ends the send. A failure after the whole message was sent also
// ends it: the message may have been delivered, and sending it again
// would duplicate it (RFC 5321 §4.5.3.2.6). A --via host is one server:
// only a failure to connect moves on to its next address.
func (a *attempt) moveOn(ctx context.Context, kind RouteKind) string {
	if ctx.Err() != nil || a.rank() == 2 {
		return ""
	}
	if a.Verdict == smtpx.Failed && a.Stage == smtpx.EndOfData {
		return ""
	}
	if kind == ViaHost {
		if a.Verdict == smtpx.Failed && a.Stage == smtpx.Connect && a.delivery == nil && a.Reply.Code == 0 {
			return fmt.Sprintf("could not reach %s: trying its next address", a.Addr)
		}
		return ""
	}
	if a.Verdict == smtpx.Deferred {
		return fmt.Sprintf("%s deferred (%d): trying the next address (RFC 5321 §5.1)", a.Host, a.Reply.Code)
	}
	return fmt.Sprintf("no answer from %s: trying the next address (RFC 5321 §5.1)", a.Addr)
}

// observer watches one attempt's events.
type observer struct {
	local    netip.AddrPort
	tlsError string // the last failure reported at the STARTTLS stage
}

// connectedPrefix starts smtpc's "Connected to REMOTE from LOCAL" event.
const connectedPrefix = "Connected to "

func (o *observer) see(e Event) {
	switch e.Kind {
	case smtpc.KindConnect:
		if len(e.Lines) == 1 && strings.HasPrefix(e.Lines[0], connectedPrefix) {
			if i := strings.LastIndex(e.Lines[0], " from "); i >= 0 {
				if ap, err := netip.ParseAddrPort(e.Lines[0][i+len(" from "):]); err == nil {
					o.local = ap
				}
			}
		}
	case smtpc.KindError:
		if rest, ok := strings.CutPrefix(e.Err, "smtp "+smtpx.STARTTLS.String()+": "); ok {
			o.tlsError = rest
		}
	}
}

// note says whether STARTTLS was offered and why TLS was not used.
func (o *observer) note(mode smtpc.TLSMode, d *smtpc.Delivery, err error) tlsNote {
	var n tlsNote
	st, _ := smtpc.StageOf(err)
	switch {
	case errors.Is(err, smtpc.ErrTLSNotOffered):
		n.why = "STARTTLS was required (--tls starttls) but the server did not offer it"
	case d != nil && d.ClearRetry:
		n.offered = true
		n.why = "the TLS handshake failed (" + o.tlsError + "); the message was sent again without TLS, as MTAs do"
	case err != nil && st == smtpx.STARTTLS:
		n.offered = true
		n.why = "STARTTLS failed: " + o.tlsError
	case d != nil && d.TLS == nil && d.Capabilities.StartTLS && mode == smtpc.TLSNone:
		n.offered = true
		n.why = "not attempted: --tls none"
	case d != nil && d.TLS == nil && d.Capabilities.StartTLS:
		n.offered = true
		n.why = "the server refused STARTTLS (" + o.tlsError + "); the message was sent without TLS"
	}
	return n
}

func joinColon(list []string) string { return strings.Join(list, ":") }

func joinSpace(list []string) string { return strings.Join(list, " ") }
