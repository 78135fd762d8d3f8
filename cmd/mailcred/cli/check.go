package cli

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailcred/mailcred/cmd/mailcred/cli/render"
	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/catalog"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dnsbl"
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
		Domain:   strings.TrimSuffix(strings.ToLower(strings.TrimSpace(f.domain)), "."),
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

func runCheck(cmd *cobra.Command, g *globals, f *checkFlags) error {
	if err := g.checkFormat(); err != nil {
		return err
	}
	ev, warnings, err := f.evidence()
	if err != nil {
		return err
	}
	for _, w := range warnings {
		fmt.Fprintln(g.io.Err, "warning:", w)
	}
	r, err := g.newResolver(ev.Domain)
	if err != nil {
		return err
	}
	env := &scoring.Env{Evidence: ev, DNS: r}
	results := scoring.RunAll(cmd.Context(), env, dnsbl.WithDQS(catalog.DNS(), g.dqsSecret()))
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
