package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/session/compose"
	"github.com/mailcred/mailcred/session/sign"
	"github.com/mailcred/mailcred/session/smtpc"
)

// Sent is what a demo send did.
type Sent struct {
	Provider Provider
	// Route says how the server was found: the MX, its address, and the
	// port standing in for 25.
	Route string
	// Message is exactly the bytes sent (signed when the MTA signs).
	Message   []byte
	Signature *sign.Info // nil when not signed
	// SourceIP is the address the provider judged the mail as coming
	// from. The checks must use it, not Delivery.LocalAddr (127.0.0.1).
	SourceIP netip.Addr
	Delivery *smtpc.Delivery // nil when no session was established
}

// Send sends draft to provider id as the sender's MTA would: To set to the
// provider's recipient (draft.Omit still decides whether the header is
// written), rendered on the world's clock, DKIM-signed when the MTA signs,
// routed by the provider's MX in the world DNS to its server's port, over
// opportunistic STARTTLS verified with CertPool. events receives the
// transcript (nil: none). The error is smtpc's, with the stage of a
// refusal (smtpc.StageOf); Sent is returned with it whenever a message
// was built.
func (w *World) Send(ctx context.Context, id string, draft compose.Message, events func(smtpc.Event)) (*Sent, error) {
	p, err := w.Provider(id)
	if err != nil {
		return nil, err
	}
	sender := w.Sender()
	draft.To = []mail.Address{{Address: p.Recipient}}
	raw, err := draft.Render(w.opts.Clock(), sender.Domain)
	if err != nil {
		return nil, fmt.Errorf("demo: draft: %w", err)
	}
	sent := &Sent{Provider: p, Message: raw, SourceIP: sender.SourceIP()}
	if sender.Signing {
		signed, info, err := sign.Sign(raw, sign.Options{Domain: sender.Domain, Selector: sender.Selector, Key: sender.Key})
		if err != nil {
			return nil, fmt.Errorf("demo: signing: %w", err)
		}
		sent.Message, sent.Signature = signed, info
	}
	host, addr, err := w.route(ctx, p)
	if err != nil {
		return sent, err
	}
	sent.Route = fmt.Sprintf("MX %s → %s (%s), port %d standing in for 25", p.Domain, host, addr, p.Port)
	sent.Delivery, err = smtpc.Deliver(ctx, smtpc.Options{
		Addr: net.JoinHostPort(addr.String(), strconv.Itoa(p.Port)), ServerName: host, HELO: sender.HELO,
		RootCAs: w.cert.Pool, Events: events,
		// Everything is on loopback: a stuck send should end soon.
		Timeouts: smtpc.Timeouts{Connect: 5 * time.Second, Command: 15 * time.Second, Data: 30 * time.Second},
	}, smtpc.Envelope{From: sender.From, To: []string{p.Recipient}}, sent.Message)
	return sent, err
}

// ErrNoRoute is returned when a provider's MX cannot be resolved.
var ErrNoRoute = errors.New("no route to the provider")

// route resolves the provider's MX and its address in the world DNS.
func (w *World) route(ctx context.Context, p Provider) (string, netip.Addr, error) {
	r, err := w.Resolver()
	if err != nil {
		return "", netip.Addr{}, err
	}
	ans := r.Lookup(ctx, p.Domain, dnsx.TypeMX)
	mxs := ans.MXs()
	if len(mxs) == 0 {
		return "", netip.Addr{}, fmt.Errorf("demo: %w: MX of %s: %s", ErrNoRoute, p.Domain, ans.Outcome)
	}
	host := strings.TrimSuffix(mxs[0].Host, ".")
	addrs, out := r.LookupAddrs(ctx, host)
	if len(addrs) == 0 {
		return "", netip.Addr{}, fmt.Errorf("demo: %w: address of %s: %s", ErrNoRoute, host, out)
	}
	return host, addrs[0], nil
}
