package demo

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/catalog"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/session"
	"github.com/mailcred/mailcred/session/compose"
)

// Bench is the world as the workbench sees it (session.Bench): the
// sender's setup as it is now, the world's resolver, and sends that go
// through session.Send on the plan the world's own sends use (Plan).
func (w *World) Bench() session.Bench { return worldBench{w} }

type worldBench struct{ w *World }

func (b worldBench) Title() string {
	return fmt.Sprintf("%s · demo: %s (offline)", senderDomain, b.w.Scenario().Name)
}

// Draft is the scenario's draft, addressed to the first provider.
func (b worldBench) Draft() (compose.Message, []string) {
	ps := b.w.Providers()
	return b.w.Draft(), []string{ps[0].Recipient}
}

func (b worldBench) Evidence(context.Context) (scoring.Evidence, error) {
	return b.w.Sender().Evidence(), nil
}

func (b worldBench) Resolver() (*dnsx.Resolver, error) { return b.w.Resolver() }

func (b worldBench) Checks() []scoring.Check        { return catalog.DNS() }
func (b worldBench) MessageChecks() []scoring.Check { return session.MessageChecks() }

// provider is the provider whose mailbox rcpt[0] is.
func (b worldBench) provider(rcpt []string) (Provider, error) {
	if len(rcpt) == 0 {
		return Provider{}, fmt.Errorf("no recipient")
	}
	d := scoring.DomainOf(rcpt[0])
	for _, p := range b.w.Providers() {
		if d != "" && d == scoring.NormalDomain(p.Domain) {
			return p, nil
		}
	}
	return Provider{}, fmt.Errorf("%s is not a mailbox of the demo world (press p to pick one)", rcpt[0])
}

func (b worldBench) plan(draft compose.Message, rcpt []string) (session.Plan, error) {
	p, err := b.provider(rcpt)
	if err != nil {
		return session.Plan{}, err
	}
	pl := b.w.Plan(p, draft, rcpt)
	if pl.Explainer, err = b.w.explainer(); err != nil {
		return session.Plan{}, fmt.Errorf("demo: %w", err)
	}
	return pl, nil
}

func (b worldBench) Describe(ctx context.Context, draft compose.Message, rcpt []string) (*session.Description, error) {
	pl, err := b.plan(draft, rcpt)
	if err != nil {
		return nil, err
	}
	r, err := b.w.Resolver()
	if err != nil {
		return nil, err
	}
	dest, err := pl.Describe(ctx, r)
	if err != nil {
		return nil, err
	}
	s := b.w.Sender()
	// The session connects from 127.0.0.1; the providers judge the
	// simulated source address, which is what the confirmation shows.
	dest.Local, dest.LocalSource = s.SourceIP().String(), "simulated"
	ipv6 := "off"
	if s.IPv6Enabled {
		ipv6 = "on"
	}
	return &session.Description{Destination: dest, Notes: []string{
		fmt.Sprintf("The providers see it come from %s (simulated; IPv6 %s). Nothing leaves this machine.", s.SourceIP(), ipv6)}}, nil
}

// Send sends as the sender's MTA; the checks judge the address the
// provider saw (SourceIP) and the sender's addresses, not 127.0.0.1.
func (b worldBench) Send(ctx context.Context, draft compose.Message, rcpt []string, events func(session.Event)) (*session.Sent, error) {
	pl, err := b.plan(draft, rcpt)
	if err != nil {
		return nil, err
	}
	r, err := b.w.Resolver()
	if err != nil {
		return nil, err
	}
	s := b.w.Sender()
	o, err := session.Send(ctx, pl, r, events)
	if err != nil {
		return nil, err
	}
	// The address the provider saw goes first (it is the connecting IP
	// of the session facts); the list the checks show keeps the sender's
	// own order, IPv4 then IPv6, whichever was used, so rows do not swap
	// between runs.
	ev := o.Evidence(pl, session.UniqueAddrs(append([]netip.Addr{s.SourceIP()}, s.IPs()...))...)
	ev.IPs = s.IPs()
	return &session.Sent{Outcome: o, Evidence: ev}, nil
}
