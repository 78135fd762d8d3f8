package cli

import (
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailcred/mailcred/scoring/safetext"
	"github.com/mailcred/mailcred/scoring/spf"
	"github.com/mailcred/mailcred/themes"
)

type spfFlags struct {
	ip     string
	sender string
	helo   string
}

func newSPFCmd(g *globals) *cobra.Command {
	f := &spfFlags{}
	cmd := &cobra.Command{
		Use:   "spf --ip IP --sender ADDR [--helo NAME]",
		Short: "Evaluate SPF for one IP and sender, with the include tree and lookup count",
		Long: `spf runs RFC 7208 check_host() for the IP and the envelope sender and prints the verdict,
the include/redirect tree with each term, and the DNS-lookup count (the limit is 10; void lookups
are limited to 2). An empty --sender checks the HELO identity (RFC 7208 §2.3).

A pass exits 0; fail, softfail, neutral, none and permerror exit 1; temperror (a DNS lookup
could not be completed) exits 3.

` + exitStatusHelp,
		Example: `  mailcred spf --ip 203.0.113.5 --sender bounce@example.com
  mailcred spf --ip 2001:db8::5 --sender "" --helo mail.example.com --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := g.checkFormat(); err != nil {
				return err
			}
			ip, err := netip.ParseAddr(strings.TrimSpace(f.ip))
			if err != nil {
				return usageError("--ip %q: not an IP address", f.ip)
			}
			if f.sender == "" && f.helo == "" {
				return usageError("give --sender ADDR, or --helo NAME to check the HELO identity")
			}
			var fresh []string
			if at := strings.LastIndexByte(f.sender, '@'); at >= 0 {
				fresh = append(fresh, f.sender[at+1:])
			} else if f.sender != "" {
				fresh = append(fresh, f.sender)
			} else {
				fresh = append(fresh, f.helo)
			}
			r, err := g.newResolver(fresh...)
			if err != nil {
				return err
			}
			ev := spf.Evaluate(cmd.Context(), r, ip.Unmap(), f.sender, f.helo)
			if g.format == "json" {
				if err := writeJSON(g.io.Out, newSPFJSON(ev)); err != nil {
					return err
				}
			} else {
				w, text, err := g.textOut()
				if err != nil {
					return err
				}
				text.Silence(w, r.Log()) // said once, first, as check says it
				printSPF(w, text.Theme, ip, ev, g.verbose)
				if g.verbose {
					fmt.Fprintln(w)
					for _, q := range r.Log() {
						fmt.Fprintln(w, "  "+safetext.Text(q.String(), 0))
					}
				}
			}
			switch ev.Result {
			case spf.Pass:
				return nil
			case spf.TempError:
				return &exitError{code: ExitIncomplete}
			}
			return failed()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.ip, "ip", "", "the connecting client's IP address (required)")
	fl.StringVar(&f.sender, "sender", "", "the MAIL FROM address; empty checks the HELO identity")
	fl.StringVar(&f.helo, "helo", "", "the HELO/EHLO name")
	cmd.MarkFlagRequired("ip")
	return cmd
}

func printSPF(w io.Writer, th themes.Theme, ip netip.Addr, ev *spf.Evaluation, verbose bool) {
	status := "fail"
	switch ev.Result {
	case spf.Pass:
		status = "pass"
	case spf.Neutral, spf.None, spf.SoftFail:
		status = "warn"
	case spf.TempError:
		status = "error"
	}
	style, sym := th.Status(status)
	fmt.Fprintf(w, "%s SPF %s for %s from %s\n", style.Render(sym), style.Render(string(ev.Result)),
		safetext.Line(ev.Sender, 0), ip)
	if ev.Explanation != "" {
		prefix := ""
		if ev.FromExp {
			prefix = "the domain says: " // third-party text (RFC 7208 §6.2)
		}
		fmt.Fprintln(w, "  "+th.Muted.Render(prefix+safetext.Line(ev.Explanation, 200)))
	}
	limit := th.Pass
	if ev.Lookups > 10 {
		limit = th.Fail
	} else if ev.Lookups >= 9 {
		limit = th.Warn
	}
	fmt.Fprintf(w, "  %s DNS lookups of 10, %d void of 2\n\n", limit.Render(fmt.Sprint(ev.Lookups)), ev.VoidLookups)
	printNode(w, th, ev.Tree, "", verbose)
	for _, p := range ev.Problems {
		fmt.Fprintln(w, th.Warn.Render("  ! ")+safetext.Line(p, 0))
	}
}

func printNode(w io.Writer, th themes.Theme, n *spf.Node, indent string, verbose bool) {
	if n == nil {
		return
	}
	head := fmt.Sprintf("%s%s", indent, safetext.Line(n.Domain, 0))
	if n.Result != "" {
		head += " → " + string(n.Result)
	}
	head += th.Muted.Render(fmt.Sprintf("  (%d lookups here, %d below)", n.Lookups, n.TotalLookups-n.Lookups))
	fmt.Fprintln(w, head)
	if n.Record != "" {
		fmt.Fprintln(w, indent+"  "+th.Muted.Render(safetext.Line(n.Record, 0)))
	}
	if n.Error != "" {
		fmt.Fprintln(w, indent+"  "+th.Fail.Render(safetext.Line(n.Error, 0)))
	}
	for _, t := range n.Terms {
		mark := " "
		if t.Matched {
			mark = th.Accent.Render("▸")
		}
		line := fmt.Sprintf("%s  %s %s", indent, mark, safetext.Line(t.Text, 0))
		var notes []string
		if t.Lookup {
			notes = append(notes, "lookup")
		}
		if t.Void {
			notes = append(notes, "void")
		}
		if t.Error != "" {
			notes = append(notes, t.Error)
		}
		if verbose && len(t.Addrs) > 0 {
			notes = append(notes, strings.Join(t.Addrs, " "))
		}
		if len(notes) > 0 {
			line += th.Muted.Render("  [" + safetext.Line(strings.Join(notes, "; "), 0) + "]")
		}
		fmt.Fprintln(w, line)
		if t.Child != nil {
			printNode(w, th, t.Child, indent+"      ", verbose)
		}
	}
}

// spfJSON is `spf --format json`: the evaluation, and whether it could be
// completed (temperror is the one verdict that means it could not).
type spfJSON struct {
	*spf.Evaluation
	Complete  bool     `json:"complete"`
	Unchecked []string `json:"unchecked"`
}

func newSPFJSON(ev *spf.Evaluation) spfJSON {
	out := spfJSON{Evaluation: ev, Complete: ev.Result != spf.TempError, Unchecked: []string{}}
	if !out.Complete {
		out.Unchecked = []string{"spf.result"}
	}
	return out
}
