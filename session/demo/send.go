package demo

import (
	"context"
	"fmt"
	"net/mail"
	"net/netip"
	"time"

	"github.com/mailcred/mailcred/session"
	"github.com/mailcred/mailcred/session/compose"
	"github.com/mailcred/mailcred/session/sign"
	"github.com/mailcred/mailcred/session/smtpc"
)

// Sent is what a demo send did.
type Sent struct {
	Provider Provider
	// SourceIP is the address the provider judged the mail as coming
	// from. The checks must use it, not Outcome.LocalAddr (127.0.0.1).
	SourceIP netip.Addr
	// Outcome is session.Send's account of the send: the verdict and the
	// deciding reply with its stage and explanation, the message exactly
	// as sent (signed when the MTA signs; SignInfo), the attempts, the
	// transcript and the TLS facts.
	Outcome *session.Outcome
}

// Plan is the send the sender's MTA makes to provider p as the world is
// now: draft, as given, to rcpts; MAIL FROM, HELO and sending domain of
// the sender; DKIM-signed while the MTA signs; over the MX of p's domain
// in the world DNS, on p's port standing in for 25, with opportunistic
// STARTTLS verified with CertPool; with loopback timeouts. Explainer is
// left nil (session.Send then loads the knowledge base itself).
func (w *World) Plan(p Provider, draft compose.Message, rcpts []string) session.Plan {
	s := w.Sender()
	pl := session.Plan{Message: draft, Domain: s.Domain, EnvelopeFrom: s.From, Recipients: rcpts,
		Route: session.Route{Kind: session.ViaMX, Port: p.Port}, HELO: s.HELO, RootCAs: w.CertPool(),
		// Everything is on loopback: a stuck send should end soon.
		Timeouts: smtpc.Timeouts{Connect: 5 * time.Second, Command: 15 * time.Second, Data: 30 * time.Second}}
	if s.Signing {
		pl.DKIM = &sign.Options{Domain: s.Domain, Selector: s.Selector, Key: s.Key}
	}
	return pl
}

// Send sends draft to provider id through session.Send, as `mailcred
// demo` does: To set to the provider's recipient (draft.Omit still
// decides whether the header is written), dated on the world's clock
// unless the draft has a Date, and sent as Plan says. events receives the
// transcript (nil: none). As with session.Send, the error says that
// nothing was sent (the draft or the plan is invalid, signing failed, the
// provider has no route); whatever the provider answered is in
// Sent.Outcome.
func (w *World) Send(ctx context.Context, id string, draft compose.Message, events func(smtpc.Event)) (*Sent, error) {
	p, err := w.Provider(id)
	if err != nil {
		return nil, err
	}
	draft.To = []mail.Address{{Address: p.Recipient}}
	if draft.Date.IsZero() {
		draft.Date = w.opts.Clock()
	}
	pl := w.Plan(p, draft, []string{p.Recipient})
	if pl.Explainer, err = w.explainer(); err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	r, err := w.Resolver()
	if err != nil {
		return nil, err
	}
	sourceIP := w.SourceIP()
	o, err := session.Send(ctx, pl, r, events)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	return &Sent{Provider: p, SourceIP: sourceIP, Outcome: o}, nil
}
