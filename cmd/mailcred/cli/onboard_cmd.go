package cli

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"
	"github.com/miekg/dns"
	"github.com/spf13/cobra"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/session/mta"
	onb "github.com/mailcred/mailcred/session/onboard"
	"github.com/mailcred/mailcred/themes"
	onboardtui "github.com/mailcred/mailcred/tui/onboard"
)

// onboardFlags are the flags of `mailcred onboard`.
type onboardFlags struct {
	domain, from, selector          string
	mtaCommand, eximConfig, keyPath string
	keyOwner, capture               string
	whoami, port25                  []string
	interval, probeTimeout          time.Duration
	once                            bool
}

func newOnboardCmd(g *globals) *cobra.Command {
	f := &onboardFlags{}
	cmd := &cobra.Command{
		Use:   "onboard --domain D --from A [--mta-command CMD] [--exim-config FILE] [--once]",
		Short: "Set up a new server to send mail, step by step, each step re-checked live",
		Long: `onboard walks a new server through sending mail, top to bottom: its public IPv4 and IPv6
addresses (interfaces, and a DNS "what is my address" query; no HTTP), outgoing port 25 (probes to
several MX hosts in parallel, IPv4 and IPv6 apart), the PTR of each address and where the hosting
provider sets it, the HELO name against the PTR, SPF, DKIM (the key, its record, and the MTA signing),
DMARC staged none → quarantine → reject, MTA-STS and TLS-RPT (optional), and a test send through the
MTA whose result is verified in a closed loop (a capture on loopback receives what the MTA put on
the wire). Every step shows what was found and what to do, and is re-checked every --interval.

Nothing on this host changes without its preview — the diff of each file, the key's mode and owner,
the command to reload the MTA — and an explicit "y". Every edited file keeps a backup next to it;
the summary lists each change with the command that undoes it. DNS records are published by you,
at your DNS provider: onboard shows them and re-checks until they appear.

Each re-check asks DNS afresh (no cached answer survives it); with --fresh your domain's records
are asked of its authoritative servers, so a record published a minute ago shows up.

--once prints every step once as text and changes nothing (scripts, logs).`,
		Example: `  mailcred onboard --domain example.com --from me@example.com
  mailcred onboard --domain example.com --from me@example.com --mta-command "exim4 -C /etc/exim4/candidate.conf" \
      --exim-config /etc/exim4/candidate.conf --dkim-key /etc/exim4/dkim/example.com-mail.pem
  mailcred onboard --domain example.com --once --resolver 127.0.0.1:5353 --whoami 127.0.0.1:5354/myip.test/A`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runOnboard(cmd, g, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.domain, "domain", "", "the sending domain (default: the --from domain)")
	fl.StringVar(&f.from, "from", "", "the From address of the test send")
	fl.StringVar(&f.selector, "selector", "mail", "the DKIM selector")
	fl.StringVar(&f.mtaCommand, "mta-command", "", `the MTA (default: the exim or postfix found), e.g. "exim4 -C /etc/exim4/candidate.conf"`)
	fl.StringVar(&f.eximConfig, "exim-config", "", "the exim file onboard may edit: a whole configuration, or Debian's /etc/exim4/exim4.conf.localmacros (default for Debian's exim4)")
	fl.StringVar(&f.keyPath, "dkim-key", "", "the DKIM key file (default /etc/exim4/dkim/DOMAIN-SELECTOR.pem with exim)")
	fl.StringVar(&f.keyOwner, "key-owner", "", "the user a generated key is given to (default Debian-exim with exim, opendkim with postfix)")
	fl.StringVar(&f.capture, "capture", "127.0.0.1:2525", "loopback address of the test send's capture")
	fl.StringArrayVar(&f.whoami, "whoami", nil, `a DNS what-is-my-address service SERVER/NAME/TYPE, e.g. 208.67.222.222:53/myip.opendns.com/A (repeat; default: OpenDNS and Google, v4 and v6)`)
	fl.StringArrayVar(&f.port25, "port25-target", nil, "a HOST:PORT to probe for outgoing port 25 (repeat; default: three well-known MX hosts)")
	fl.DurationVar(&f.interval, "interval", 30*time.Second, "re-check every this long (0: only on r)")
	fl.DurationVar(&f.probeTimeout, "probe-timeout", 3*time.Second, "timeout of each probe")
	fl.BoolVar(&f.once, "once", false, "print every step once, as text, and change nothing")
	return cmd
}

func (f *onboardFlags) config(g *globals) (onb.Config, error) {
	domain := scoring.NormalDomain(f.domain)
	if domain == "" {
		domain = scoring.DomainOf(f.from)
	}
	if domain == "" {
		return onb.Config{}, usageError("give --domain (or --from)")
	}
	r, err := g.newResolver(domain)
	if err != nil {
		return onb.Config{}, err
	}
	providers, err := onb.LoadProviders()
	if err != nil {
		return onb.Config{}, err
	}
	cfg := onb.Config{Domain: domain, From: strings.TrimSpace(f.from), Selector: f.selector, Resolver: r,
		Timeout: f.probeTimeout, Providers: providers, EximConfig: f.eximConfig, KeyPath: f.keyPath, KeyOwner: f.keyOwner}
	if cfg.WhoAmI, err = parseWhoAmI(f.whoami); err != nil {
		return cfg, err
	}
	cfg.Port25 = onb.DefaultPort25Targets
	if len(f.port25) > 0 {
		cfg.Port25 = f.port25
	}
	if f.capture != "" {
		ap, err := netip.ParseAddrPort(f.capture)
		if err != nil || !ap.Addr().IsLoopback() {
			return cfg, usageError("--capture %q: want a loopback IP:PORT such as 127.0.0.1:2525", f.capture)
		}
		cfg.Capture = ap
	}
	var command mta.Command
	if f.mtaCommand != "" {
		if command, err = mta.ParseCommand(f.mtaCommand, ""); err != nil {
			return cfg, usageError("%v", err)
		}
	} else if found, ok := mta.Primary(mta.Detect("/")); ok {
		command, _ = mta.CommandFor(found)
	}
	cfg.MTA.Command = command
	switch command.Kind {
	case mta.Exim:
		if cfg.EximConfig == "" {
			cfg.EximConfig = command.ConfigFile()
		}
		if cfg.EximConfig == "" {
			if _, err := os.Stat("/etc/exim4/update-exim4.conf.conf"); err == nil {
				cfg.EximConfig = "/etc/exim4/exim4.conf.localmacros"
			}
		}
		if cfg.KeyPath == "" {
			cfg.KeyPath = "/etc/exim4/dkim/" + domain + "-" + f.selector + ".pem"
		}
		if cfg.KeyOwner == "" && os.Geteuid() == 0 {
			cfg.KeyOwner = "Debian-exim"
		}
	case mta.Postfix:
		if cfg.KeyPath == "" {
			cfg.KeyPath = "/etc/opendkim/keys/" + domain + "-" + f.selector + ".pem"
		}
		if cfg.KeyOwner == "" && os.Geteuid() == 0 {
			cfg.KeyOwner = "opendkim"
		}
	}
	return cfg, nil
}

func runOnboard(cmd *cobra.Command, g *globals, f *onboardFlags) error {
	cfg, err := f.config(g)
	if err != nil {
		return err
	}
	if f.once {
		return printOnboard(g, onb.Check(cmd.Context(), cfg))
	}
	out, ok := g.io.Out.(*os.File)
	if !ok || !term.IsTerminal(out.Fd()) {
		return usageError("onboard needs a terminal to ask before changing anything; --once prints the steps")
	}
	th, err := themes.New(g.theme, true)
	if err != nil {
		return usageError("--theme: %v", err)
	}
	if themes.NoColor(g.io.Env) {
		th = themes.Mono()
	}
	interval := f.interval
	if interval == 0 {
		interval = -1
	}
	m := onboardtui.New(onboardtui.Options{Config: cfg, Interval: interval, Theme: th})
	p := tea.NewProgram(m, tea.WithContext(cmd.Context()), tea.WithEnvironment(g.io.Env))
	if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		return fmt.Errorf("onboard: %w", err)
	}
	if ch := m.Changes(); len(ch) > 0 {
		fmt.Fprintln(g.io.Out, "Changes made on this host:")
		for _, c := range ch {
			fmt.Fprintln(g.io.Out, "  "+c.String())
		}
	} else {
		fmt.Fprintln(g.io.Out, "Nothing on this host was changed.")
	}
	return nil
}

// printOnboard is --once: every step as text.
func printOnboard(g *globals, rep onb.Report) error {
	w := g.io.Out
	for i, s := range rep.Steps {
		fmt.Fprintf(w, "%d. %s — %s\n", i+1, s.Title, s.Status)
		for _, l := range s.State {
			fmt.Fprintln(w, "     "+l)
		}
		for _, l := range s.Do {
			fmt.Fprintln(w, "   → "+l)
		}
		if s.Source != "" {
			fmt.Fprintln(w, "     source: "+s.Source)
		}
		if s.Action != nil {
			fmt.Fprintln(w, "     can do (interactive only): "+s.Action.Title)
		}
	}
	return nil
}

// parseWhoAmI reads --whoami values (SERVER:PORT/NAME/TYPE); none means
// the public defaults.
func parseWhoAmI(values []string) ([]onb.WhoAmI, error) {
	if len(values) == 0 {
		return onb.DefaultWhoAmI, nil
	}
	var out []onb.WhoAmI
	for _, w := range values {
		parts := strings.Split(w, "/")
		qt, ok := dns.StringToType[strings.ToUpper(parts[len(parts)-1])]
		if len(parts) != 3 || !ok {
			return nil, usageError("--whoami %q: want SERVER:PORT/NAME/TYPE, TYPE one of A, AAAA, TXT", w)
		}
		out = append(out, onb.WhoAmI{Server: parts[0], Name: dns.Fqdn(parts[1]), Type: qt})
	}
	return out, nil
}
