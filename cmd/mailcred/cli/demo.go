package cli

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailcred/mailcred/session/demo"
	"github.com/mailcred/mailcred/tui"
)

type demoFlags struct {
	scenario    string
	propagation time.Duration
	ramp        time.Duration
	watch       time.Duration
	via         string // "mx", or "mta": sends go through the sender's simulated local MTA
	ssh         demoSSHFlags
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
			if f.via != "mx" && f.via != "mta" {
				return usageError("--via %q: want mx or mta", f.via)
			}
			if f.ssh.addr != "" {
				return runDemoSSH(ctx, g, f)
			}
			w, err := demo.Start(ctx, demo.Options{Scenario: f.scenario, Propagation: f.propagation, Ramp: f.ramp})
			if err != nil {
				return usageError("%v", err)
			}
			defer w.Close()
			cfg := demoConfig(w, g.theme, f.watch)
			if f.via == "mta" {
				cfg.Bench = w.MTABench()
			}
			cfg.SaveReport = g.workbenchReport(".") // here only: the SSH demo writes nothing on the server
			return runWorkbench(ctx, g, cfg)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.scenario, "scenario", "story", "starting state (see above)")
	fl.StringVar(&f.via, "via", "mx", "mx: the sender's MTA is mailcred itself; mta: sends go through a simulated exim-like local MTA (queue, retry, frozen bounces), as send --via mta shows on a real host")
	fl.DurationVar(&f.propagation, "propagation", 0, "simulated DNS propagation delay (default 5s; negative: at once)")
	fl.DurationVar(&f.ramp, "ramp", 0, "simulated Outlook delisting ramp (default 20s; negative: at once)")
	fl.DurationVar(&f.watch, "watch", 3*time.Second, "re-run the checks this often (0: only on r)")
	fl.StringVar(&f.ssh.addr, "ssh", "", "serve the demo over SSH on ADDR (e.g. :2222): every session gets its own world")
	fl.StringVar(&f.ssh.hostKey, "ssh-host-key", "", "SSH host key file, created if missing (default $XDG_STATE_HOME/mailcred/ssh_host_ed25519)")
	fl.IntVar(&f.ssh.maxSessions, "ssh-max-sessions", 20, "SSH sessions at once")
	fl.DurationVar(&f.ssh.idle, "ssh-idle-timeout", 10*time.Minute, "close an SSH session idle this long")
	fl.DurationVar(&f.ssh.max, "ssh-max-timeout", 30*time.Minute, "close any SSH session after this long")
	return cmd
}

// demoConfig opens the screen on the world: its Bench (sends go through
// the same session code as `mailcred send`) and its fixes and news.
func demoConfig(w *demo.World, theme string, watch time.Duration) tui.Config {
	return tui.Config{Theme: theme, Bench: w.Bench(), Watch: watch, World: &demoWorld{w: w}}
}

// demoWorld adapts the demo world to what the screen asks of it.
type demoWorld struct {
	w      *demo.World
	events chan tui.WorldEvent
}

// FixFor finds an available fix that addresses the check, with what it
// publishes: the screen shows it as the check's fix. The world's draft
// fix (add To:) is the screen's to apply, to its own draft.
func (d *demoWorld) FixFor(checkID string) (tui.WorldFix, bool) {
	for _, f := range d.w.Fixes() {
		if f.State != demo.FixAvailable || !slices.Contains(f.Checks, checkID) {
			continue
		}
		return tui.WorldFix{ID: f.ID, Title: f.Title, Detail: f.Detail, Records: f.Records, Draft: f.Kind == demo.KindDraft}, true
	}
	return tui.WorldFix{}, false
}

func (d *demoWorld) Apply(id string) error { return d.w.Apply(id) }

func (d *demoWorld) Events() <-chan tui.WorldEvent {
	if d.events == nil {
		d.events = make(chan tui.WorldEvent, 64)
		src := d.w.Events()
		go func() {
			defer close(d.events)
			for e := range src {
				d.events <- tui.WorldEvent{At: e.At, Text: e.Text, OfSend: e.Kind == demo.EventAccepted || e.Kind == demo.EventRefused}
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

// TesterReport is the tester mailbox's last report, in the screen's terms.
func (d *demoWorld) TesterReport() *tui.TesterReport {
	r := d.w.TesterReport()
	if r == nil {
		return nil
	}
	out := &tui.TesterReport{MessageID: r.MessageID, Score: r.Score, AuthenticationResults: r.AuthenticationResults}
	for _, x := range r.Deductions {
		out.Deductions = append(out.Deductions, x.String())
	}
	return out
}
