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
		res.Offline = dkim.VerifyOffline(o.Message, plan.DKIM.Key.Public())
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

// profileFlags override the profile for one run of the workbench.
type profileFlags struct {
	from, to, domain, helo, selector, key, via, tls string
	ips                                             []string
}

func (f *profileFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.from, "from", "", "send as this address (overrides the profile)")
	fl.StringVar(&f.to, "to", "", "test recipient")
	fl.StringVar(&f.domain, "domain", "", "sending domain (default: the From domain)")
	fl.StringArrayVar(&f.ips, "ip", nil, "a sending IP (repeat for each)")
	fl.StringVar(&f.helo, "helo", "", "the MTA's EHLO name")
	fl.StringVar(&f.selector, "selector", "", "DKIM selector")
	fl.StringVar(&f.key, "dkim-key", "", "DKIM private key file")
	fl.StringVar(&f.via, "via", "", "route: mx, HOST:PORT or sendmail")
	fl.StringVar(&f.tls, "tls", "", "TLS mode: starttls, implicit, none, opportunistic")
}

// apply puts the flags given over the profile (flags beat the
// environment, which beats the file).
func (f *profileFlags) apply(p *profile.Profile) {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&p.From, f.from)
	set(&p.To, f.to)
	set(&p.Domain, f.domain)
	set(&p.HELO, f.helo)
	set(&p.Selector, f.selector)
	set(&p.KeyPath, f.key)
	set(&p.Via, f.via)
	set(&p.TLS, f.tls)
	if len(f.ips) > 0 {
		p.IPs = nil
		for _, s := range f.ips {
			p.IPs = append(p.IPs, strings.Split(s, ",")...)
		}
	}
}

// newWorkbenchRun is the root command's action: the workbench on the
// user's profile, with onboarding on first run.
func newWorkbenchRun(g *globals, f *profileFlags) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		path, err := profile.Path(os.Getenv)
		if err != nil {
			return usageError("%v", err)
		}
		p, err := profile.Load(path)
		switch {
		case errors.Is(err, profile.ErrNoProfile) && f.from != "":
			// Flags alone make a profile: no questions asked.
		case errors.Is(err, profile.ErrNoProfile):
			if out, ok := g.io.Out.(*os.File); !ok || !term.IsTerminal(out.Fd()) {
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
		f.apply(&p)
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
	// One cache across the watch loop's runs, for what does not change
	// while the user fixes their DNS: the blocklists' test points.
	kept := dnsx.NewCache(0, nil)
	newResolver := func() (*dnsx.Resolver, error) {
		return dnsx.New(dnsx.Config{Servers: dnsx.ServersFromFlag(resolverFlag), Timeout: g.timeout, Fresh: []string{domain}, Shared: kept})
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
