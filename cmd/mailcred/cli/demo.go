package cli

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/catalog"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/session"
	"github.com/mailcred/mailcred/session/compose"
	"github.com/mailcred/mailcred/session/demo"
	"github.com/mailcred/mailcred/session/explain"
	"github.com/mailcred/mailcred/session/smtpc"
	"github.com/mailcred/mailcred/tui"
)

type demoFlags struct {
	scenario    string
	propagation time.Duration
	ramp        time.Duration
	watch       time.Duration
}

func newDemoCmd(g *globals) *cobra.Command {
	f := &demoFlags{}
	var names []string
	for _, s := range demo.Scenarios() {
		names = append(names, fmt.Sprintf("  %-16s %s", s.Name, s.Title))
	}
	cmd := &cobra.Command{
		Use:   "demo [--scenario NAME]",
		Short: "The workbench on a simulated, fully offline world (Gmail-, Outlook-, GMX-like servers)",
		Long: `demo starts a complete simulated world on this machine only (127.0.0.1): DNS for the
fictional sender example.com and provider-like receiving servers with realistic policies,
then opens the workbench on it. Nothing leaves the machine.

The default scenario is the story of a fresh VPS: no SPF, DKIM or DMARC, a draft without
To:, IPv6 on without a PTR; Outlook answers S3140, Gmail refuses, GMX refuses at the
greeting. Select a failing check and press a to apply its fix; s sends; watch the score.

Scenarios:
` + strings.Join(names, "\n"),
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			w, err := demo.Start(ctx, demo.Options{Scenario: f.scenario, Propagation: f.propagation, Ramp: f.ramp})
			if err != nil {
				return usageError("%v", err)
			}
			defer w.Close()
			cfg, err := demoConfig(w, g.theme, f.watch)
			if err != nil {
				return err
			}
			return runWorkbench(ctx, g, cfg)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.scenario, "scenario", "story", "starting state (see above)")
	fl.DurationVar(&f.propagation, "propagation", 0, "simulated DNS propagation delay (default 5s; negative: at once)")
	fl.DurationVar(&f.ramp, "ramp", 0, "simulated Outlook delisting ramp (default 20s; negative: at once)")
	fl.DurationVar(&f.watch, "watch", 3*time.Second, "re-run the checks this often (0: only on r)")
	return cmd
}

// demoConfig wires the screen to the world: its resolver, its sender and
// a send that goes through the same session code as `mailcred send`, on
// the plan the world's own sends use (demo.World.Plan).
func demoConfig(w *demo.World, theme string, watch time.Duration) (tui.Config, error) {
	kb, err := explain.Load()
	if err != nil {
		return tui.Config{}, err
	}
	world := &demoWorld{w: w}
	sender := w.Sender()
	draft := w.Draft()
	rcpt := world.Recipients()
	plan := func(d compose.Message, rc []string) (session.Plan, error) {
		p, err := world.provider(rc)
		if err != nil {
			return session.Plan{}, err
		}
		pl := w.Plan(p, d, rc)
		pl.Explainer = kb
		return pl, nil
	}
	return tui.Config{
		Title:           fmt.Sprintf("%s · demo: %s (offline)", sender.Domain, w.Scenario().Name),
		Theme:           theme,
		CurrentEvidence: func() scoring.Evidence { return w.Sender().Evidence() },
		NewResolver:     w.Resolver,
		Checks:          catalog.DNS(), MessageChecks: messageChecks(),
		Draft: draft, Rcpt: rcpt[:1], Watch: watch, World: world,
		Describe: func(ctx context.Context, d compose.Message, rc []string) (string, error) {
			pl, err := plan(d, rc)
			if err != nil {
				return "", err
			}
			r, err := w.Resolver()
			if err != nil {
				return "", err
			}
			dest, err := pl.Describe(ctx, r)
			if err != nil {
				return "", err
			}
			ipv6 := "off"
			if w.Sender().IPv6Enabled {
				ipv6 = "on"
			}
			return dest.Summary() + fmt.Sprintf("\nThe providers see it come from %s (simulated; IPv6 %s). Nothing leaves this machine.",
				w.SourceIP(), ipv6), nil
		},
		Send: func(ctx context.Context, d compose.Message, rc []string, events func(smtpc.Event)) (*tui.SendResult, error) {
			pl, err := plan(d, rc)
			if err != nil {
				return nil, err
			}
			r, err := w.Resolver()
			if err != nil {
				return nil, err
			}
			o, err := session.Send(ctx, pl, r, events)
			if err != nil {
				return nil, err
			}
			ips := append([]netip.Addr{w.SourceIP()}, w.Sender().IPs()...)
			return sendResult(ctx, o, pl, r, uniqueAddrs(ips)...), nil
		},
	}, nil
}

func uniqueAddrs(ips []netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, ip := range ips {
		if !slices.Contains(out, ip) {
			out = append(out, ip)
		}
	}
	return out
}

// demoWorld adapts the demo world to what the screen asks of it.
type demoWorld struct {
	w      *demo.World
	events chan string
}

func (d *demoWorld) provider(rcpt []string) (demo.Provider, error) {
	if len(rcpt) == 0 {
		return demo.Provider{}, fmt.Errorf("no recipient")
	}
	at := strings.LastIndexByte(rcpt[0], '@')
	for _, p := range d.w.Providers() {
		if at >= 0 && strings.EqualFold(rcpt[0][at+1:], p.Domain) {
			return p, nil
		}
	}
	return demo.Provider{}, fmt.Errorf("%s is not a mailbox of the demo world (press p to pick one)", rcpt[0])
}

// FixFor finds an available fix that addresses the check. The world's
// draft fix (add To:) is the screen's to apply, to its own draft.
func (d *demoWorld) FixFor(checkID string) (string, string, bool) {
	for _, f := range d.w.Fixes() {
		if f.State != demo.FixAvailable || !slices.Contains(f.Checks, checkID) {
			continue
		}
		if f.ID == "draft.to" {
			return tui.FixAddTo, f.Title, true
		}
		return f.ID, f.Title, true
	}
	return "", "", false
}

func (d *demoWorld) Apply(id string) error { return d.w.Apply(id) }

func (d *demoWorld) Events() <-chan string {
	if d.events == nil {
		d.events = make(chan string, 64)
		src := d.w.Events()
		go func() {
			defer close(d.events)
			for e := range src {
				d.events <- e.At.Format("15:04:05") + " " + e.Text
			}
		}()
	}
	return d.events
}

func (d *demoWorld) Recipients() []string {
	var out []string
	for _, p := range d.w.Providers() {
		out = append(out, p.Recipient)
	}
	return out
}

// demoResolver is unused by the screen but keeps the world's resolver type
// honest for the compiler: it must be what tui.Config wants.
var _ func() (*dnsx.Resolver, error) = (*demo.World)(nil).Resolver
