// Package render renders check results for the command line: for people
// (text that reads at 80 columns, coloured through a theme, with no colour
// when asked) and for programs (stable JSON). It lives with the commands,
// not in the engine: scoring produces typed results and knows nothing of
// terminals, themes or lipgloss; the workbench draws the same results in
// its own panes. Everything that came from the network is passed
// through safetext before it reaches a terminal.
package render

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/safetext"
	"github.com/mailcred/mailcred/themes"
)

// Check is the outcome of `mailcred check`: the JSON contract in README.md
// ({"score", "max", "checks": [...]}) plus what was asked of DNS.
type Check struct {
	Domain    string           `json:"domain"`
	Score     float64          `json:"score"`
	Max       float64          `json:"max"`
	Complete  bool             `json:"complete"`  // every check could be evaluated
	Unchecked []string         `json:"unchecked"` // IDs of those that could not ([] when complete)
	Checks    []scoring.Result `json:"checks"`
	Queries   []dnsx.Query     `json:"queries"`
}

// NewCheck assembles the report from results and the resolver's log.
func NewCheck(domain string, results []scoring.Result, w scoring.Weights, log []dnsx.Query) Check {
	s := w.Compute(results)
	if log == nil {
		log = []dnsx.Query{}
	}
	unchecked := s.Unchecked
	if unchecked == nil {
		unchecked = []string{}
	}
	return Check{Domain: domain, Score: s.Value, Max: s.Max, Complete: !s.Incomplete, Unchecked: unchecked,
		Checks: results, Queries: log}
}

// JSON writes v indented, with a final newline.
func JSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(safetext.JSON(b), '\n'))
	return err
}

// Text writes the report for a person. width is the terminal width (80 if
// unknown); verbose adds every check's detail and the DNS query log.
type Text struct {
	Theme   themes.Theme
	Width   int
	Verbose bool
}

const idColumn = 19

// Results renders results in order. When log shows a resolver that
// replied to nothing, one notice says so first and each check it left
// unchecked gets its status line alone: their details would all tell the
// same failure (verbose keeps them).
func (t Text) Results(w io.Writer, results []scoring.Result, log []dnsx.Query) {
	silent := t.Silence(w, log)
	for _, r := range results {
		if silent && !t.Verbose && r.Status == scoring.Error {
			t.head(w, r)
			continue
		}
		t.Result(w, r)
	}
}

// Silence says, once and first, that the resolver replied to none of the
// questions in log, and reports whether it did (see dnsx.Silent).
func (t Text) Silence(w io.Writer, log []dnsx.Query) bool {
	silence, silent := dnsx.Silent(log)
	if silent {
		t.block(w, "", safetext.Text(silence.String(), 0), t.Theme.Error)
		fmt.Fprintln(w)
	}
	return silent
}

// Result renders one result: a status line, then (for anything but a pass,
// or always when verbose) the detail and the fix, indented.
func (t Text) Result(w io.Writer, r scoring.Result) {
	t.head(w, r)
	if r.Status == scoring.Pass && !t.Verbose {
		return
	}
	pad := "    "
	if r.Detail != "" {
		t.block(w, pad, safetext.Text(r.Detail, 0), t.Theme.Muted)
	}
	if r.Fix != nil {
		t.fix(w, pad, r.Fix)
	}
	if t.Verbose {
		for _, q := range r.Queries {
			t.block(w, pad+"  ", safetext.Text(q.String(), 0), t.Theme.Muted)
		}
	}
}

// head is a result's status line: symbol, status, ID and title.
func (t Text) head(w io.Writer, r scoring.Result) {
	width := t.width()
	style, sym := t.Theme.Status(r.Status.String())
	head := style.Render(fmt.Sprintf("%s %-5s", sym, r.Status)) + " " + fmt.Sprintf("%-*s", idColumn, r.ID)
	title := safetext.Line(r.Title, 0)
	indent := 8 + idColumn // "✗ fail " + " " + the id column
	lines := Wrap(title, width-indent)
	fmt.Fprintln(w, head+lines[0])
	for _, l := range lines[1:] {
		fmt.Fprintln(w, strings.Repeat(" ", indent)+l)
	}
}

func (t Text) fix(w io.Writer, pad string, f *scoring.Fix) {
	if f.Summary != "" {
		t.block(w, pad, "Fix: "+safetext.Text(f.Summary, 0), t.Theme.Accent)
	}
	for _, rec := range f.Records {
		// Records are printed whole, never wrapped: they are for copying.
		fmt.Fprintln(w, pad+"  "+safetext.Line(rec.ZoneLine(), 0))
	}
	if f.Snippet != "" {
		for _, l := range strings.Split(safetext.Text(strings.TrimRight(f.Snippet, "\r\n"), 0), "\n") {
			fmt.Fprintln(w, pad+"  "+l)
		}
	}
	if f.Link != "" {
		fmt.Fprintln(w, pad+"  "+t.Theme.Muted.Render("See "+safetext.Line(f.Link, 0)))
	}
	if f.Manual != "" {
		// Who applies what cannot be published in the user's own zone.
		t.block(w, pad+"  ", "Where: "+safetext.Text(f.Manual, 0), t.Theme.Muted)
	}
}

func (t Text) block(w io.Writer, pad, text string, style lipgloss.Style) {
	for _, para := range strings.Split(text, "\n") {
		for _, l := range Wrap(para, t.width()-len(pad)) {
			fmt.Fprintln(w, pad+style.Render(l))
		}
	}
}

// Wrap breaks one line of text into lines of at most width columns, for
// text under a column: at spaces only (ansi.Wordwrap also breaks after
// hyphens, which cuts command lines like "--selector" in two), then cuts
// any word still longer than the width (long tokens like a base64 key
// would otherwise overflow the column) unless width is under 10. It
// returns at least one line. Leading indentation is kept, on continuation
// lines too (an SPF include tree stays a tree).
func Wrap(text string, width int) []string {
	body := strings.TrimLeft(text, " ")
	if indent := len(text) - len(body); indent > 0 && indent <= width/2 {
		lines := Wrap(body, width-indent)
		for i := range lines {
			lines[i] = text[:indent] + lines[i]
		}
		return lines
	}
	var lines []string
	var line strings.Builder
	for _, word := range strings.Split(text, " ") {
		if line.Len() > 0 && ansi.StringWidth(line.String())+1+ansi.StringWidth(word) > width {
			lines = append(lines, line.String())
			line.Reset()
		}
		if line.Len() > 0 {
			line.WriteByte(' ')
		}
		line.WriteString(word)
	}
	lines = append(lines, line.String())
	var out []string
	for _, l := range lines {
		if ansi.StringWidth(l) <= width || width < 10 {
			out = append(out, l)
			continue
		}
		out = append(out, strings.Split(ansi.Hardwrap(l, width, true), "\n")...)
	}
	return out
}

func (t Text) width() int {
	if t.Width < 40 {
		return 80
	}
	return t.Width
}

// Check renders a whole check report.
func (t Text) Check(w io.Writer, rep Check, subtitle string) {
	fmt.Fprintln(w, t.Theme.Title.Render("mailcred check "+safetext.Line(rep.Domain, 0)))
	if subtitle != "" {
		t.subtitle(w, subtitle)
	}
	fmt.Fprintln(w)
	t.Results(w, rep.Checks, rep.Queries)
	fmt.Fprintln(w)
	t.Score(w, rep.Score, rep.Max, rep.Checks)
	t.QueryLog(w, rep.Queries)
}

// QueryLog prints, when verbose, every DNS question of the run, one a
// line, dig-style, under a count (check, score, send and receive end so).
func (t Text) QueryLog(w io.Writer, queries []dnsx.Query) {
	if !t.Verbose {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, t.Theme.Title.Render(fmt.Sprintf("DNS queries (%d)", len(queries))))
	for _, q := range queries {
		t.block(w, "  ", safetext.Text(q.String(), 0), t.Theme.Muted)
	}
}

// subtitle renders "IPs … · HELO … · resolver …", breaking lines only
// between its parts, so that "resolver" stays with its address.
func (t Text) subtitle(w io.Writer, s string) {
	const sep = " · "
	width := t.width() - 2
	line := ""
	for _, part := range strings.Split(s, sep) {
		switch {
		case line == "":
			line = part
		case ansi.StringWidth(line+sep+part) <= width:
			line += sep + part
		default:
			t.block(w, "  ", line, t.Theme.Muted)
			line = part
		}
	}
	if line != "" {
		t.block(w, "  ", line, t.Theme.Muted)
	}
}

// Score renders the score line with what keeps it incomplete.
func (t Text) Score(w io.Writer, score, max float64, results []scoring.Result) {
	counts := map[scoring.Status]int{}
	var unchecked []string
	for _, r := range results {
		counts[r.Status]++
		if r.Status == scoring.Error || r.Status == scoring.Pending {
			unchecked = append(unchecked, r.ID)
		}
	}
	// An incomplete score is an upper bound and says so on the line
	// itself; with nothing judged at all there is no score to give.
	var line string
	switch {
	case len(unchecked) > 0 && counts[scoring.Pass]+counts[scoring.Warn]+counts[scoring.Fail] == 0:
		line = t.Theme.Error.Render("No score: nothing could be checked")
	case len(unchecked) > 0:
		line = t.Theme.Title.Render(fmt.Sprintf("Score at most %.1f/%g (incomplete)", score, max))
	default:
		line = t.Theme.Title.Render(fmt.Sprintf("Score %.1f/%g", score, max))
	}
	line += fmt.Sprintf("  %d pass, %d warn, %d fail, %d unchecked", counts[scoring.Pass], counts[scoring.Warn],
		counts[scoring.Fail], len(unchecked))
	fmt.Fprintln(w, line)
	if len(unchecked) > 0 {
		t.block(w, "  ", fmt.Sprintf("Incomplete: %s could not be checked; the score is an upper bound.",
			strings.Join(unchecked, ", ")), t.Theme.Error)
	}
}
