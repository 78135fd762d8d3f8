package cli

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/catalog"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/transport"
	"github.com/mailcred/mailcred/session"
	"github.com/mailcred/mailcred/session/compose"
	"github.com/mailcred/mailcred/session/explain"
	"github.com/mailcred/mailcred/session/profile"
	"github.com/mailcred/mailcred/session/sign"
	"github.com/mailcred/mailcred/session/smtpc"
	"github.com/mailcred/mailcred/themes"
	"github.com/mailcred/mailcred/tui"
)

// messageChecks join the checklist once something has been sent.
func messageChecks() []scoring.Check {
	return append(catalog.Message(), transport.Checks()...)
}

// sendResult turns a session outcome into what the screen shows.
func sendResult(ctx context.Context, o *session.Outcome, plan session.Plan, r *dnsx.Resolver, sendingIPs ...netip.Addr) *tui.SendResult {
	res := &tui.SendResult{
		Outcome:  string(o.Verdict),
		Evidence: o.Evidence(plan, sendingIPs...),
		Route:    o.Facts.Route,
		Sign:     o.SignInfo, Published: o.PublishedDKIM,
	}
	res.TLSOffered = o.Facts.StartTLSOffered
	if d := o.Delivery; d != nil {
		res.TLS = d.TLS
	}
	res.Summary = string(o.Verdict)
	if len(o.Reply.Lines) > 0 {
		res.Summary = fmt.Sprintf("%s at %s: %d %s %s", o.Verdict, o.Stage, o.Reply.Code, o.Reply.Enhanced, o.Reply.Message())
	} else if o.Err != "" {
		res.Summary = fmt.Sprintf("%s: %s", o.Verdict, o.Err)
	}
	if e := o.Explanation; e != nil && e.Meaning != "" {
		lines := []string{e.Meaning}
		if e.RulesOut != "" {
			lines = append(lines, e.RulesOut)
		}
		if e.Fix != "" {
			lines = append(lines, "Fix: "+e.Fix)
		}
		if e.Link != "" {
			lines = append(lines, "See "+e.Link)
		}
		res.Explanation = strings.Join(lines, "\n")
	}
	if o.SignInfo != nil && plan.DKIM != nil {
		res.Offline = sign.VerifyOffline(o.Message, plan.DKIM.Key.Public())
	}
	return res
}

// runWorkbench runs the screen until the user quits.
func runWorkbench(ctx context.Context, g *globals, cfg tui.Config) error {
	f, ok := g.io.Out.(*os.File)
	if !ok || !term.IsTerminal(f.Fd()) {
		return usageError("the workbench needs a terminal; for scripts use check, spf, send or score")
	}
	if themes.NoColor(g.io.Env) && (cfg.Theme == "" || cfg.Theme == "default") {
		cfg.Theme = "mono"
	}
	m, err := tui.New(cfg)
	if err != nil {
		return usageError("%v", err)
	}
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithEnvironment(g.io.Env))
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return fmt.Errorf("workbench: %w", err)
	}
	return nil
}

// newWorkbenchRun is the root command's action: the workbench on the
// user's profile, with onboarding on first run.
func newWorkbenchRun(g *globals) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		path, err := profile.Path(os.Getenv)
		if err != nil {
			return usageError("%v", err)
		}
		p, err := profile.Load(path)
		switch {
		case errors.Is(err, profile.ErrNoProfile):
			if f, ok := g.io.Out.(*os.File); !ok || !term.IsTerminal(f.Fd()) {
				return usageError("no profile at %s yet: run mailcred on a terminal to create one, or try 'mailcred demo'", path)
			}
			var save bool
			if p, save, err = onboard(cmd.Context(), p); err != nil {
				return err
			}
			if save {
				if err := profile.Save(path, p, false); err != nil {
					return err
				}
				fmt.Fprintln(g.io.Err, "profile saved to", path)
			}
		case err != nil:
			return usageError("%v", err)
		}
		p.ApplyEnv(os.Getenv)
		if errs := p.Validate(); len(errs) > 0 {
			return usageError("profile %s: %v", path, errors.Join(errs...))
		}
		cfg, err := profileConfig(g, p)
		if err != nil {
			return err
		}
		return runWorkbench(cmd.Context(), g, cfg)
	}
}

// profileConfig builds the screen's configuration from a profile.
func profileConfig(g *globals, p profile.Profile) (tui.Config, error) {
	domain := p.SendingDomain()
	ev := scoring.Evidence{Domain: domain, IPs: p.Addrs(), HELO: p.HELO, Selector: p.Selector}
	var signOpts *sign.Options
	if p.KeyPath != "" {
		key, err := dkim.LoadPrivateKey(p.KeyPath)
		if err != nil {
			return tui.Config{}, usageError("profile dkim_key: %v", err)
		}
		ev.DKIMKey = key
		signOpts = &sign.Options{Domain: domain, Selector: p.Selector, Key: key}
	}
	route, err := session.ParseRoute(p.Via, p.TLS)
	if err != nil {
		return tui.Config{}, usageError("profile via/tls: %v", err)
	}
	resolverFlag := g.resolver
	if resolverFlag == "" {
		resolverFlag = p.Resolver
	}
	newResolver := func() (*dnsx.Resolver, error) {
		return dnsx.New(dnsx.Config{Servers: dnsx.ServersFromFlag(resolverFlag), Timeout: g.timeout, Fresh: []string{domain}})
	}
	kb, err := explain.Load()
	if err != nil {
		return tui.Config{}, err
	}
	from := parseAddress(p.From)
	draft := compose.Message{From: from, Subject: "mailcred test", Body: "A test message from mailcred.\n"}
	var rcpt []string
	if p.To != "" {
		to := parseAddress(p.To)
		draft.To = append(draft.To, to)
		rcpt = []string{to.Address}
	}
	plan := func(d compose.Message, rc []string) session.Plan {
		return session.Plan{Message: d, Domain: domain, Recipients: rc, Route: route, HELO: p.HELO, DKIM: signOpts,
			Explainer: kb, Auth: nil}
	}
	watch, _ := time.ParseDuration(p.Watch)
	theme := g.theme
	if theme == "default" && p.Theme != "" {
		theme = p.Theme
	}
	return tui.Config{
		Title: domain, Theme: theme, Evidence: ev, NewResolver: newResolver,
		Checks: catalog.DNS(), MessageChecks: messageChecks(), Draft: draft, Rcpt: rcpt, Watch: watch,
		Describe: func(ctx context.Context, d compose.Message, rc []string) (string, error) {
			r, err := newResolver()
			if err != nil {
				return "", err
			}
			dest, err := plan(d, rc).Describe(ctx, r)
			if err != nil {
				return "", err
			}
			return dest.Summary(), nil
		},
		Send: func(ctx context.Context, d compose.Message, rc []string, events func(smtpc.Event)) (*tui.SendResult, error) {
			r, err := newResolver()
			if err != nil {
				return nil, err
			}
			pl := plan(d, rc)
			o, err := session.Send(ctx, pl, r, events)
			if err != nil {
				return nil, err
			}
			return sendResult(ctx, o, pl, r, p.Addrs()...), nil
		},
	}, nil
}
