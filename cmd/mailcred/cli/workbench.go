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
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dnsbl"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/session"
	"github.com/mailcred/mailcred/session/compose"
	"github.com/mailcred/mailcred/session/explain"
	"github.com/mailcred/mailcred/session/mta"
	onb "github.com/mailcred/mailcred/session/onboard"
	"github.com/mailcred/mailcred/session/profile"
	"github.com/mailcred/mailcred/session/sign"
	"github.com/mailcred/mailcred/session/smtpc"
	"github.com/mailcred/mailcred/themes"
	"github.com/mailcred/mailcred/tui"
	onboardtui "github.com/mailcred/mailcred/tui/onboard"
	"github.com/mailcred/mailcred/tui/panes"
)

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
	fl.StringVar(&f.via, "via", "", "route: mx, mta, HOST:PORT, sendmail or sendmail:PATH (default: mta when exim or postfix is found, else mx)")
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
		firstRun := errors.Is(err, profile.ErrNoProfile)
		p.ApplyEnv(os.Getenv)
		f.apply(&p)
		if p.Via == "" {
			// A local MTA is what real mail leaves by: test it, not mailcred's own client.
			if _, ok := mta.Primary(mta.Detect("/")); ok {
				p.Via = "mta"
			}
		}
		if errs := p.Validate(); len(errs) > 0 {
			return usageError("profile %s: %v", path, errors.Join(errs...))
		}
		bench, err := profileBench(g, p)
		if err != nil {
			return err
		}
		watch, _ := time.ParseDuration(p.Watch)
		theme := g.theme
		if theme == "default" && p.Theme != "" {
			theme = p.Theme
		}
		var secrets []string
		if bench.Plan.Auth != nil {
			secrets = append(secrets, bench.Plan.Auth.Password)
		}
		obCfg, err := onboardingConfig(g, p, bench)
		if err != nil {
			return err
		}
		var obPane *onboardtui.Pane
		extra := func(ctx *panes.Context) panes.Component {
			obPane = onboardtui.NewPane(ctx, onboardtui.Options{Config: obCfg, Interval: 30 * time.Second})
			return obPane
		}
		err = runWorkbench(cmd.Context(), g, tui.Config{Theme: theme, Bench: bench, Watch: watch,
			Extra: []func(*panes.Context) panes.Component{extra}, FocusExtra: firstRun,
			SaveReport: g.workbenchReport(".", append(secrets, bench.DQSKey.Reveal())...)})
		if obPane != nil {
			for _, c := range obPane.Changes() {
				fmt.Fprintln(g.io.Err, "changed: "+c.String())
			}
		}
		return err
	}
}

// profileBench is the sending setup a profile describes: the plan
// template of every send (route, HELO, DKIM key, AUTH) and the evidence
// of the DNS checks.
func profileBench(g *globals, p profile.Profile) (*session.HostBench, error) {
	domain := p.SendingDomain()
	ev := scoring.Evidence{Domain: domain, IPs: p.Addrs(), HELO: p.HELO, Selector: p.Selector}
	route, err := session.ParseRoute(p.Via, p.TLS)
	if err != nil {
		return nil, usageError("profile via/tls: %v", err)
	}
	kb, err := explain.Load()
	if err != nil {
		return nil, err
	}
	plan := session.Plan{Domain: domain, Route: route, HELO: p.HELO, Explainer: kb}
	if p.KeyPath != "" {
		key, err := dkim.LoadPrivateKey(p.KeyPath)
		if err != nil {
			return nil, usageError("profile dkim_key: %v", err)
		}
		ev.DKIMKey = key
		plan.DKIM = &sign.Options{Domain: domain, Selector: p.Selector, Key: key}
	}
	if route.Kind == session.ViaMTA {
		plan.DKIM = nil // the MTA signs; the key stays in the evidence for the checks
		if p.MTACommand != "" {
			if plan.Route.MTA, err = mta.ParseCommand(p.MTACommand, ""); err != nil {
				return nil, usageError("profile mta_command: %v", err)
			}
		}
	}
	if plan.Auth, err = profileAuth(g, p); err != nil {
		return nil, err
	}
	resolverFlag := g.resolver
	if resolverFlag == "" {
		resolverFlag = p.Resolver
	}
	dqs := g.dqsSecret() // --dqs-key, $MAILCRED_DQS_KEY
	if dqs == "" {
		dqs = scoring.Secret(p.DQSKey)
	}
	if dqs != "" && !dnsbl.ValidDQSKey(dqs.Reveal()) {
		return nil, usageError("profile dqs_key (or --dqs-key, $%s): want 26 letters and digits, got %d characters", envDQSKey, len(dqs.Reveal()))
	}
	// One cache across the watch loop's runs, for what does not change
	// while the user fixes their DNS: the blocklists' test points.
	kept := dnsx.NewCache(0, nil)
	from := parseAddress(p.From)
	draft := compose.Message{From: from, Subject: "mailcred test", Body: "A test message from mailcred.\n"}
	var rcpt []string
	if p.To != "" {
		to := parseAddress(p.To)
		draft.To = append(draft.To, to)
		rcpt = []string{to.Address}
	}
	return &session.HostBench{
		Name: domain, Plan: plan, Setup: ev, StartDraft: draft, StartRcpt: rcpt,
		NewResolver: func() (*dnsx.Resolver, error) {
			return dnsx.New(dnsx.Config{Servers: dnsx.ServersFromFlag(resolverFlag), Timeout: g.timeout, Fresh: []string{domain}, Shared: kept,
				Mask: []string{dqs.Reveal()}})
		},
		DQSKey: dqs,
	}, nil
}

// profileAuth is the relay's AUTH credentials: the profile's user, with
// the password from the profile's password file, else $MAILCRED_SMTP_PASSWORD,
// else the profile itself (only there when the user asked to store it),
// else asked for on the terminal before the workbench opens.
func profileAuth(g *globals, p profile.Profile) (*smtpc.Credentials, error) {
	if p.AuthUser == "" {
		return nil, nil
	}
	creds := &smtpc.Credentials{User: p.AuthUser}
	switch pw, fromEnv := lookupEnv(g.io.Env, envPassword); {
	case p.PasswordFile != "":
		data, err := readLimited(p.PasswordFile, maxSmallFile)
		if err != nil {
			return nil, usageError("profile auth_password_file: %v", err)
		}
		creds.Password = strings.TrimRight(string(data), "\r\n")
	case fromEnv && pw != "":
		creds.Password = pw
	case p.Password != "":
		creds.Password = p.Password
	default:
		in, ok := g.io.In.(*os.File)
		if !ok || !term.IsTerminal(in.Fd()) {
			return nil, usageError("profile auth_user %s needs a password: auth_password_file in the profile or $%s", p.AuthUser, envPassword)
		}
		pw, err := promptPassword(in, g.io.Err, p.AuthUser, &session.Destination{})
		if err != nil {
			return nil, err
		}
		creds.Password = pw
	}
	if creds.Password == "" {
		return nil, usageError("profile auth_user %s: the password is empty", p.AuthUser)
	}
	return creds, nil
}

// onboardingConfig is the Onboarding pane's setup, from the profile: the
// domain, the From address, the DKIM selector and key, the MTA the sends
// go through, and the resolver the workbench uses.
func onboardingConfig(g *globals, p profile.Profile, bench *session.HostBench) (onb.Config, error) {
	r, err := bench.NewResolver()
	if err != nil {
		return onb.Config{}, err
	}
	providers, err := onb.LoadProviders()
	if err != nil {
		return onb.Config{}, err
	}
	cfg := onb.Config{Domain: p.SendingDomain(), From: parseAddress(p.From).Address, Selector: p.Selector, Resolver: r,
		Port25: onb.DefaultPort25Targets, Providers: providers, KeyPath: p.KeyPath,
		Capture: netip.MustParseAddrPort("127.0.0.1:2525")}
	// $MAILCRED_WHOAMI and $MAILCRED_PORT25_TARGETS (comma-separated, as
	// onboard's --whoami and --port25-target) replace the public services.
	var who []string
	if v, ok := lookupEnv(g.io.Env, "MAILCRED_WHOAMI"); ok && v != "" {
		who = strings.Split(v, ",")
	}
	if cfg.WhoAmI, err = parseWhoAmI(who); err != nil {
		return cfg, err
	}
	if v, ok := lookupEnv(g.io.Env, "MAILCRED_PORT25_TARGETS"); ok && v != "" {
		cfg.Port25 = strings.Split(v, ",")
	}
	cfg.MTA.Command = bench.Plan.Route.MTA
	if len(cfg.MTA.Command.Argv) == 0 {
		if found, ok := mta.Primary(mta.Detect("/")); ok {
			cfg.MTA.Command, _ = mta.CommandFor(found)
		}
	}
	if cfg.MTA.Command.Kind == mta.Exim {
		if c := cfg.MTA.Command.ConfigFile(); c != "" {
			cfg.EximConfig = c // a candidate configuration: the file to change
		} else if _, err := os.Stat("/etc/exim4/update-exim4.conf.conf"); err == nil {
			cfg.EximConfig = "/etc/exim4/exim4.conf.localmacros"
		}
		if os.Geteuid() == 0 {
			cfg.KeyOwner = "Debian-exim"
		}
	}
	return cfg, nil
}
