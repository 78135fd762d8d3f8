package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mailcred/mailcred/cmd/mailcred/cli/report"
	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/inputfile"
	"github.com/mailcred/mailcred/session"
)

// reportFlag is --report FILE on check, send and score.
const reportFlag = "report"

// addReportFlag gives check, send and score --report FILE.
func addReportFlag(root *cobra.Command, g *globals) {
	for _, c := range root.Commands() {
		switch c.Name() {
		case "check", "send", "score":
			c.Flags().StringVar(&g.reportFile, reportFlag, "", "also write the findings as a report to FILE: HTML for .html/.htm, else Markdown (for a forum post or a provider's ticket; no secrets)")
		}
	}
}

// isHTML says whether a report file name asks for HTML.
func isHTML(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".html" || ext == ".htm"
}

// saveReport writes --report's file from the command's JSON document v;
// secrets are masked in it whatever the document holds. It writes through
// a temporary file so a failed run leaves no half report.
func (g *globals) saveReport(command string, v any, secrets ...string) error {
	if g.reportFile == "" {
		return nil
	}
	doc, err := versioned(v)
	if err != nil {
		return err
	}
	f, err := report.Parse(doc)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := g.renderReport(&out, f, command, isHTML(g.reportFile), secrets); err != nil {
		return err
	}
	tmp := g.reportFile + ".tmp"
	if err := os.WriteFile(tmp, out.Bytes(), 0o600); err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("--report: %w", err)}
	}
	if err := os.Rename(tmp, g.reportFile); err != nil {
		os.Remove(tmp)
		return &exitError{code: ExitError, err: fmt.Errorf("--report: %w", err)}
	}
	fmt.Fprintf(g.io.Err, "report written to %s\n", g.reportFile)
	return nil
}

func (g *globals) renderReport(w io.Writer, f *report.Findings, command string, asHTML bool, secrets []string) error {
	if key := g.dqsSecret(); key != "" {
		secrets = append(secrets, key.Reveal())
	}
	if pw, ok := lookupEnv(g.io.Env, envPassword); ok {
		secrets = append(secrets, pw)
	}
	o := report.Options{Command: command, Generated: time.Now(), Version: readBuildInfo().Version, Secrets: secrets, Theme: g.theme}
	if asHTML {
		if err := report.HTML(w, f, o); err != nil {
			return usageError("report: %v", err)
		}
		return nil
	}
	return report.Markdown(w, f, o)
}

func newReportCmd(g *globals) *cobra.Command {
	var out string
	var asHTML bool
	cmd := &cobra.Command{
		Use:   "report [FILE.json|-] [--out FILE] [--html]",
		Short: "Turn saved findings (check, send or score --format json) into a Markdown or HTML report",
		Long: `report turns the JSON findings of 'mailcred check', 'send' or 'score' (--format json, saved to a
file or piped in) into a report to hand someone: Markdown for a forum post or a provider's
delisting ticket — the sending IP, the exact reply, the PTR/SPF/DKIM/DMARC state, the checks
with explanations and fixes, TLS, DKIM, the SMTP transcript and the DNS answers with their
TTLs — or, with --html or an --out ending in .html, one self-contained HTML page in the
--theme's palette. Secrets are never in the findings ($MAILCRED_SMTP_PASSWORD and the DQS key
are masked besides). check, send and score write the same report directly with --report FILE.`,
		Example: `  mailcred send --from me@example.com --to check@example.net --yes --format json > send.json
  mailcred report send.json --out outlook-ticket.md
  mailcred check --domain example.com --ip 203.0.113.5 --report findings.html`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := "-"
			if len(args) == 1 {
				name = args[0]
			}
			doc, err := readFindings(g.io.In, name)
			if err != nil {
				return err
			}
			f, err := report.Parse(doc)
			if err != nil {
				return usageError("%s: %v", name, err)
			}
			html := asHTML || isHTML(out)
			if out == "" {
				return g.renderReport(g.io.Out, f, "", html, nil)
			}
			g.reportFile = out
			var b bytes.Buffer
			if err := g.renderReport(&b, f, "", html, nil); err != nil {
				return err
			}
			if err := os.WriteFile(out, b.Bytes(), 0o600); err != nil {
				return &exitError{code: ExitError, err: err}
			}
			fmt.Fprintf(g.io.Err, "report written to %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the report to FILE (HTML for .html/.htm) instead of standard output")
	cmd.Flags().BoolVar(&asHTML, "html", false, "write HTML rather than Markdown")
	return cmd
}

// readFindings reads a findings document from a file or "-" (standard
// input), bounded in size.
func readFindings(stdin io.Reader, name string) ([]byte, error) {
	const limit = 32 << 20
	if name != "-" {
		b, err := inputfile.ReadFile(name, limit)
		if err != nil {
			return nil, usageError("%v", err)
		}
		return b, nil
	}
	b, err := io.ReadAll(io.LimitReader(stdin, limit+1))
	if err != nil {
		return nil, usageError("reading %s: %v", name, err)
	}
	if len(b) > limit {
		return nil, usageError("%s: over the %d-byte limit of a findings document", name, limit)
	}
	return b, nil
}

// workbenchReport is the workbench's R: the findings on screen as a
// Markdown report in dir (the directory mailcred was started in), named
// after the domain and the time, never overwriting a file.
func (g *globals) workbenchReport(dir string, secrets ...string) func(string, []scoring.Result, scoring.Score, *session.Sent) (string, error) {
	return func(title string, results []scoring.Result, score scoring.Score, sent *session.Sent) (string, error) {
		f, err := report.FromSession(title, results, score, nil, sent)
		if err != nil {
			return "", err
		}
		var b bytes.Buffer
		if err := g.renderReport(&b, f, "workbench", false, secrets); err != nil {
			return "", err
		}
		name := filepath.Join(dir, fmt.Sprintf("mailcred-report-%s-%s.md", safeName(title), time.Now().Format("20060102-150405")))
		out, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return "", err
		}
		if _, err := out.Write(b.Bytes()); err != nil {
			out.Close()
			return "", err
		}
		return name, out.Close()
	}
}

// safeName keeps a domain usable as part of a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, s)
}
