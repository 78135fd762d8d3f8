package session

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/catalog"
	"github.com/mailcred/mailcred/scoring/dnsbl"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/transport"
	"github.com/mailcred/mailcred/session/compose"
)

// Bench is the application seam: what the workbench asks of a sending
// setup, whether a real host (HostBench, built from a profile) or the
// demo world (session/demo). It holds the setup's evidence, the checks
// that judge it, where a draft would go, and the send: typed values in,
// typed outcome out. Every method may do I/O (DNS, the world's clock), so
// a screen calls them only from its background commands.
type Bench interface {
	// Title names the setup for the header ("example.com").
	Title() string
	// Draft is the starting draft and its envelope recipients.
	Draft() (compose.Message, []string)
	// Evidence is the sending setup as it is now (the demo world's
	// sending IPs change as fixes apply).
	Evidence(ctx context.Context) (scoring.Evidence, error)
	// Resolver is a fresh DNS resolver (a fresh cache) for one run.
	Resolver() (*dnsx.Resolver, error)
	// Checks judge the DNS setup; MessageChecks join them once a message
	// was sent (there is a message to judge only then).
	Checks() []scoring.Check
	MessageChecks() []scoring.Check
	// Describe says where draft would go, without sending.
	Describe(ctx context.Context, draft compose.Message, rcpt []string) (*Description, error)
	// Send sends draft to rcpt, reporting transcript events as they happen.
	Send(ctx context.Context, draft compose.Message, rcpt []string, events func(Event)) (*Sent, error)
}

// Description is where a send would go, for the confirmation.
type Description struct {
	Destination *Destination
	// Notes say more about this setup ("simulated; nothing leaves this
	// machine", "AUTH as user alice").
	Notes []string
}

// Sent is a finished send as a screen shows it: the session's outcome and
// the evidence the message and session checks judge next (the message as
// sent, the SMTP facts, the sending IPs the receiver saw).
type Sent struct {
	Outcome  *Outcome
	Evidence scoring.Evidence
}

// Summary is one line: "rejected at MAIL FROM: 550 5.7.1 … (S3140)".
func (o *Outcome) Summary() string {
	if len(o.Reply.Lines) > 0 {
		return fmt.Sprintf("%s at %s: %d %s %s", o.Verdict, o.Stage, o.Reply.Code, o.Reply.Enhanced, o.Reply.Message())
	}
	if o.Err != "" {
		return fmt.Sprintf("%s: %s", o.Verdict, o.Err)
	}
	return o.Verdict.String()
}

// Checked is one run of a Bench's DNS checks: the evidence judged, the
// results in the checks' order, and the resolver that asked (its query
// log goes into reports).
type Checked struct {
	Evidence scoring.Evidence
	Results  []scoring.Result
	Resolver *dnsx.Resolver
}

// CheckSetup runs b's DNS checks once on b's evidence, with a fresh
// resolver of b's: what `mailcred check` prints. The workbench streams
// the same three things (Evidence, Resolver, Checks) through scoring.Run.
func CheckSetup(ctx context.Context, b Bench) (*Checked, error) {
	ev, err := b.Evidence(ctx)
	if err != nil {
		return nil, err
	}
	r, err := b.Resolver()
	if err != nil {
		return nil, err
	}
	env := &scoring.Env{Evidence: ev, DNS: r}
	return &Checked{Evidence: ev, Results: scoring.RunAll(ctx, env, b.Checks()), Resolver: r}, nil
}

// MessageChecks are the checks of a message as sent and its session.
func MessageChecks() []scoring.Check { return append(catalog.Message(), transport.Checks()...) }

// HostBench is the Bench of a real sending host: a plan template (domain,
// route, HELO, DKIM key, AUTH) and the setup's evidence, as a profile
// gives them.
type HostBench struct {
	// Name is the header's title.
	Name string
	// Plan is the template of every send: Message and Recipients are
	// filled per send.
	Plan Plan
	// Setup is the evidence of the DNS checks: domain, IPs, HELO,
	// selector, key.
	Setup scoring.Evidence
	// StartDraft and StartRcpt are the draft the screen opens with.
	StartDraft compose.Message
	StartRcpt  []string
	// NewResolver makes a fresh resolver for each run and send.
	NewResolver func() (*dnsx.Resolver, error)
	// DQSKey, when set, asks the Spamhaus lists through DQS (dnsbl.WithDQS);
	// NewResolver's resolvers must mask it (dnsx.Config.Mask).
	DQSKey scoring.Secret
}

var _ Bench = (*HostBench)(nil)

// Title names the setup.
func (b *HostBench) Title() string { return b.Name }

// Draft is the starting draft.
func (b *HostBench) Draft() (compose.Message, []string) {
	return b.StartDraft, slices.Clone(b.StartRcpt)
}

// Evidence is the configured setup (it does not change by itself).
func (b *HostBench) Evidence(context.Context) (scoring.Evidence, error) { return b.Setup, nil }

// Resolver makes a fresh resolver.
func (b *HostBench) Resolver() (*dnsx.Resolver, error) { return b.NewResolver() }

// Checks are the DNS checks of the catalog.
func (b *HostBench) Checks() []scoring.Check { return dnsbl.WithDQS(catalog.DNS(), b.DQSKey) }

// MessageChecks are the message and session checks.
func (b *HostBench) MessageChecks() []scoring.Check { return MessageChecks() }

func (b *HostBench) plan(draft compose.Message, rcpt []string) Plan {
	p := b.Plan
	p.Message, p.Recipients = draft, rcpt
	return p
}

// Describe resolves where draft would go.
func (b *HostBench) Describe(ctx context.Context, draft compose.Message, rcpt []string) (*Description, error) {
	r, err := b.NewResolver()
	if err != nil {
		return nil, err
	}
	p := b.plan(draft, rcpt)
	dest, err := p.Describe(ctx, r)
	if err != nil {
		return nil, err
	}
	d := &Description{Destination: dest}
	if a := p.Auth; a != nil {
		d.Notes = append(d.Notes, dest.Auth)
	} else if p.Route.Kind == ViaHost {
		d.Notes = append(d.Notes, "no AUTH: the profile has no relay user")
	}
	return d, nil
}

// Send sends through session.Send; the configured IPs (behind NAT) are
// the sending IPs the checks judge.
func (b *HostBench) Send(ctx context.Context, draft compose.Message, rcpt []string, events func(Event)) (*Sent, error) {
	r, err := b.NewResolver()
	if err != nil {
		return nil, err
	}
	p := b.plan(draft, rcpt)
	o, err := Send(ctx, p, r, events)
	if err != nil {
		return nil, err
	}
	return &Sent{Outcome: o, Evidence: o.Evidence(p, b.Setup.IPs...)}, nil
}

// UniqueAddrs drops repeated addresses, keeping the first order.
func UniqueAddrs(ips []netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, ip := range ips {
		if !slices.Contains(out, ip) {
			out = append(out, ip)
		}
	}
	return out
}
