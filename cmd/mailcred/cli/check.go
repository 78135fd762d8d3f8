package cli

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailcred/mailcred/cmd/mailcred/cli/render"
	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/session"
)

type checkFlags struct {
	domain   string
	ips      []string
	helo     string
	selector string
	dkimKey  string
	mailFrom string
}

func newCheckCmd(g *globals) *cobra.Command {
	f := &checkFlags{}
	cmd := &cobra.Command{
		Use:   "check --domain D [--ip IP]... [--helo NAME] [--selector S] [--dkim-key FILE]",
		Short: "Run every DNS check of a sending setup and score it out of 10",
		Long: `check runs every DNS check of a sending setup concurrently — SPF (record, lookup count,
all, verdict for each IP), DKIM (record, key match), DMARC (record, reporting), reverse DNS
(PTR, forward-confirmed, HELO), blocklists (IP and domain), MX and IPv6 readiness — and
prints each verdict with a concrete fix for your own domain, IPs and selector.

A check that could not be evaluated (timeout, SERVFAIL, a blocklist refusing a public
resolver) is reported as "error": it deducts nothing and marks the score incomplete.

` + exitStatusHelp,
		Example: `  mailcred check --domain example.com --ip 203.0.113.5 --helo mail.example.com --selector s1
  mailcred check --domain example.com --ip 203.0.113.5 --format json --resolver 127.0.0.1:53`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runCheck(cmd, g, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.domain, "domain", "", "the sending domain (required)")
	fl.StringArrayVar(&f.ips, "ip", nil, "a sending IP address, v4 or v6 (repeat for each)")
	fl.StringVar(&f.helo, "helo", "", "the name your MTA gives in EHLO")
	fl.StringVar(&f.selector, "selector", "", "DKIM selector (default: try 15 common selectors)")
	fl.StringVar(&f.dkimKey, "dkim-key", "", "DKIM private key file, to check the published key matches (never printed)")
	fl.StringVar(&f.mailFrom, "mail-from", "", "envelope sender (default postmaster@DOMAIN)")
	cmd.MarkFlagRequired("domain")
	return cmd
}

// evidence turns the flags into the engine's input, with specific errors.
func (f *checkFlags) evidence() (scoring.Evidence, []string, error) {
	ev := scoring.Evidence{
		Domain:   scoring.NormalDomain(f.domain),
		HELO:     strings.TrimSuffix(strings.TrimSpace(f.helo), "."),
		Selector: strings.TrimSpace(f.selector),
		MailFrom: strings.TrimSpace(f.mailFrom),
	}
	if ev.Domain == "" || strings.ContainsAny(ev.Domain, " @/") {
		return ev, nil, usageError("--domain %q: want a domain name such as example.com", f.domain)
	}
	for _, s := range f.ips {
		for _, part := range strings.Split(s, ",") {
			ip, err := netip.ParseAddr(strings.TrimSpace(part))
			if err != nil {
				return ev, nil, usageError("--ip %q: not an IP address", part)
			}
			ev.IPs = append(ev.IPs, ip.Unmap())
		}
	}
	var warnings []string
	if f.dkimKey != "" {
		key, err := dkim.LoadPrivateKey(f.dkimKey)
		if err != nil {
			return ev, nil, usageError("--dkim-key: %v", err)
		}
		ev.DKIMKey = key
		if p := dkim.KeyFilePermissionProblem(f.dkimKey); p != "" {
			warnings = append(warnings, p)
		}
	}
	return ev, warnings, nil
}

// bench is the setup the flags describe, as the seam every command,
// the workbench and the demo share: the evidence, the catalog's DNS
// checks (Spamhaus through DQS when a key is given) and the flags'
// resolver.
func (f *checkFlags) bench(g *globals) (*session.HostBench, []string, error) {
	ev, warnings, err := f.evidence()
	if err != nil {
		return nil, nil, err
	}
	return &session.HostBench{
		Name: ev.Domain, Setup: ev, DQSKey: g.dqsSecret(),
		NewResolver: func() (*dnsx.Resolver, error) { return g.newResolver(ev.Domain) },
	}, warnings, nil
}

func runCheck(cmd *cobra.Command, g *globals, f *checkFlags) error {
	if err := g.checkFormat(); err != nil {
		return err
	}
	bench, warnings, err := f.bench(g)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(g.io.Err, "warning:", w)
	}
	return checkBench(cmd.Context(), g, bench)
}

// checkBench runs a Bench's DNS checks once and prints them: flags →
// Bench → run.
func checkBench(ctx context.Context, g *globals, bench session.Bench) error {
	c, err := session.CheckSetup(ctx, bench)
	if err != nil {
		return err
	}
	ev, r, results := c.Evidence, c.Resolver, c.Results
	rep := render.NewCheck(ev.Domain, results, scoring.DefaultWeights, r.Log())
	if err := g.saveReport("check", rep); err != nil {
		return err
	}
	if g.format == "json" {
		if err := writeJSON(g.io.Out, rep); err != nil {
			return err
		}
	} else {
		w, text, err := g.textOut()
		if err != nil {
			return err
		}
		text.Check(w, rep, subtitle(ev, r.Servers(), g.fresh))
	}
	return resultsExit(results)
}

func subtitle(ev scoring.Evidence, servers []string, fresh bool) string {
	var parts []string
	if len(ev.IPs) > 0 {
		ips := make([]string, len(ev.IPs))
		for i, ip := range ev.IPs {
			ips[i] = ip.String()
		}
		parts = append(parts, "IPs "+strings.Join(ips, ", "))
	}
	if ev.HELO != "" {
		parts = append(parts, "HELO "+ev.HELO)
	}
	if ev.Selector != "" {
		parts = append(parts, "selector "+ev.Selector)
	}
	dns := "resolver " + strings.Join(servers, ", ")
	if fresh {
		dns += " (fresh: own records from authoritative servers)"
	}
	return strings.Join(append(parts, dns), " · ")
}
