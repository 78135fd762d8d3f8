package panes

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/session/sign"
	"github.com/mailcred/mailcred/session/smtpc"
	"github.com/mailcred/mailcred/themes"
)

func testContext() *Context {
	c := NewContext()
	c.Now = func() time.Time { return time.Date(2026, 11, 26, 14, 2, 0, 0, time.UTC) }
	return c
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	}
	return tea.KeyPressMsg{Code: rune(k[0]), Text: k}
}

// assertSize checks a view is exactly h rows of exactly w cells.
func assertSize(t *testing.T, view string, w, h int) []string {
	t.Helper()
	rows := strings.Split(view, "\n")
	if len(rows) != h {
		t.Fatalf("%d rows, want %d:\n%s", len(rows), h, view)
	}
	for i, r := range rows {
		if n := ansi.StringWidth(r); n != w {
			t.Fatalf("row %d is %d cells, want %d: %q", i, n, w, r)
		}
	}
	return rows
}

func blank(r string) bool { return strings.TrimSpace(ansi.Strip(r)) == "" }

func wireLines(tr *Transcript, n int) {
	for i := 0; i < n; i++ {
		tr.Append(smtpc.Event{At: time.Duration(i) * time.Millisecond, Kind: smtpc.KindReceived, Lines: []string{fmt.Sprintf("250-line %d", i)}})
	}
}

func TestScrollStaysInBounds(t *testing.T) {
	s := Scroll{}
	s.Set(5, 20) // less content than room
	for _, d := range []int{-3, 7, -100, 100} {
		s.By(d)
		if from, to := s.Window(); from != 0 || to != 5 {
			t.Fatalf("short content scrolled to [%d,%d)", from, to)
		}
	}
	s.Set(100, 10)
	s.By(1000)
	if from, to := s.Window(); from != 90 || to != 100 || !s.AtEnd() {
		t.Fatalf("past the end: [%d,%d)", from, to)
	}
	s.By(-1) // one step back from the end moves one row, not to the top
	if s.Offset() != 89 {
		t.Fatalf("one up from the end: offset %d", s.Offset())
	}
	s.Page(-1)
	if s.Offset() != 80 {
		t.Fatalf("page up: offset %d, want 80 (a screen less one row)", s.Offset())
	}
	s.Set(50, 10) // content shrank below the offset
	if from, to := s.Window(); to > 50 || to-from != 10 {
		t.Fatalf("after shrinking: [%d,%d)", from, to)
	}
}

// One k in the transcript used to show the last line over blank rows, and
// PgUp moved one line per press.
func TestTranscriptScrollsByLinesAndPages(t *testing.T) {
	tr := NewTranscript(testContext())
	tr.SetSize(60, 20)
	wireLines(tr, 100)
	rows := assertSize(t, tr.View(), 60, 20)
	if !strings.Contains(rows[19], "250-line 99") {
		t.Fatalf("following: last row %q", rows[19])
	}
	tr.Update(keyMsg("k"))
	rows = assertSize(t, tr.View(), 60, 20)
	for i, r := range rows {
		if blank(r) {
			t.Fatalf("row %d blank after one k:\n%s", i, tr.View())
		}
	}
	if !strings.Contains(rows[19], "250-line 98") || !strings.Contains(rows[0], "250-line 79") {
		t.Fatalf("one k: rows %q … %q", rows[0], rows[19])
	}
	tr.Update(keyMsg("pgup"))
	rows = assertSize(t, tr.View(), 60, 20)
	if !strings.Contains(rows[0], "250-line 60") {
		t.Fatalf("PgUp moved to %q, want a page (19 rows) up", rows[0])
	}
	for i := 0; i < 20; i++ {
		tr.Update(keyMsg("pgup"))
	}
	if rows = assertSize(t, tr.View(), 60, 20); !strings.Contains(rows[0], "250-line 0") {
		t.Fatalf("top: %q", rows[0])
	}
	for i := 0; i < 20; i++ {
		tr.Update(keyMsg("pgdown"))
	}
	rows = assertSize(t, tr.View(), 60, 20)
	if !strings.Contains(rows[19], "250-line 99") || !tr.scroll.Follow {
		t.Fatalf("bottom: %q, following %v", rows[19], tr.scroll.Follow)
	}
	wireLines(tr, 1) // follows new lines again
	if rows = assertSize(t, tr.View(), 60, 20); !strings.Contains(rows[19], "250-line 0") {
		t.Fatalf("a new line while following: %q", rows[19])
	}
}

func TestTranscriptScrolledBackStaysPut(t *testing.T) {
	tr := NewTranscript(testContext())
	tr.SetSize(60, 10)
	wireLines(tr, 50)
	tr.Update(keyMsg("pgup"))
	before := tr.View()
	wireLines(tr, 5)
	if tr.View() != before {
		t.Fatal("new lines moved a transcript the user scrolled back in")
	}
	if !strings.Contains(tr.Title(), "line") {
		t.Fatalf("title %q does not say where the view is", tr.Title())
	}
}

func TestTranscriptEmptyAndTiny(t *testing.T) {
	tr := NewTranscript(testContext())
	tr.SetSize(40, 5)
	if rows := assertSize(t, tr.View(), 40, 5); !strings.Contains(strings.Join(rows, " "), "Nothing sent yet") {
		t.Fatalf("empty transcript: %q", rows)
	}
	tr.Update(keyMsg("k"))
	tr.Update(keyMsg("pgdown"))
	assertSize(t, tr.View(), 40, 5)
	tr.SetSize(1, 1)
	wireLines(tr, 3)
	assertSize(t, tr.View(), 1, 1)
}

func TestTranscriptWrapsLongRepliesUnderTheTimeColumn(t *testing.T) {
	tr := NewTranscript(testContext())
	tr.SetSize(50, 10)
	tr.Append(smtpc.Event{Kind: smtpc.KindReceived, Lines: []string{"550-5.7.1 " + strings.Repeat("word ", 30)}})
	rows := assertSize(t, tr.View(), 50, 10)
	if !strings.HasPrefix(rows[1], strings.Repeat(" ", transcriptIndent)+"word") {
		t.Fatalf("continuation row not indented: %q", rows[1])
	}
	tr.SetSize(120, 10) // a wider terminal rewraps
	rows = assertSize(t, tr.View(), 120, 10)
	if blank(rows[0]) || !blank(rows[2]) {
		t.Fatalf("after widening:\n%s", tr.View())
	}
}

func TestTranscriptHugeIsBounded(t *testing.T) {
	tr := NewTranscript(testContext())
	tr.SetSize(80, 20)
	wireLines(tr, MaxTranscriptLines+10)
	if tr.Len() > MaxTranscriptLines {
		t.Fatalf("%d lines kept", tr.Len())
	}
	rows := assertSize(t, tr.View(), 80, 20)
	if !strings.Contains(rows[19], fmt.Sprintf("250-line %d", MaxTranscriptLines+9)) {
		t.Fatalf("last row %q", rows[19])
	}
}

// Each line is marked by the source its event carries, never by its
// text: the session's own note ("signing with …", once "**" like an
// MTA's) is mailcred's, exim's "**" line is the MTA's, and each source
// has its own style too.
func TestNotesAreMarkedApartFromMTALines(t *testing.T) {
	tr := NewTranscript(testContext())
	tr.SetSize(80, 10)
	tr.Append(smtpc.Event{Kind: smtpc.KindInfo, Source: smtpc.FromExim, Lines: []string{"exim: ** b@example.org R=dnslookup T=remote_smtp: 550 no"}})
	tr.Append(smtpc.Event{Kind: smtpc.KindInfo, Source: smtpc.FromClient, Lines: []string{"signing with s1._domainkey.example.com"}})
	tr.Note(smtpc.FromClient, "Fix: publish SPF")
	tr.Note(smtpc.FromWorld, "demo world: 14:02:03 SPF published")
	rows := assertSize(t, tr.View(), 80, 10)
	marker := func(row string) string { return strings.Fields(ansi.Strip(row))[1] }
	for i, want := range []string{"mta", "»", "»", "◆"} {
		got := strings.Fields(ansi.Strip(rows[i]))[0]
		if i < 2 {
			got = marker(rows[i]) // events have a time column
		}
		if got != want {
			t.Errorf("row %d %q: marker %q, want %q", i, rows[i], got, want)
		}
	}
	th, err := themes.New("default", true)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]smtpc.Source{}
	for _, src := range []smtpc.Source{smtpc.FromClient, smtpc.FromExim, smtpc.FromWorld} {
		r := EventStyle(th, smtpc.KindInfo, src).Render("x")
		if other, dup := seen[r]; dup {
			t.Errorf("%v's notes look like %v's", src, other)
		}
		seen[r] = src
	}
}

func detailChecklist(ctx *Context, detailLines int) *Checklist {
	c := NewChecklist(ctx, []scoring.Check{{ID: "spf.record"}, {ID: "dkim.record"}})
	c.Reset()
	var b strings.Builder
	for i := 0; i < detailLines; i++ {
		fmt.Fprintf(&b, "detail line %d\n", i)
	}
	c.Apply(scoring.Result{ID: "spf.record", Status: scoring.Fail, Title: "No SPF", Detail: b.String()}, ctx.Now())
	return c
}

// The detail area used to scroll past its end and stick there.
func TestChecklistDetailScrollsWithinItsEnd(t *testing.T) {
	ctx := testContext()
	c := detailChecklist(ctx, 40)
	c.SetSize(60, 20)
	for i := 0; i < 30; i++ {
		c.Update(keyMsg("pgdown"))
	}
	rows := assertSize(t, c.View(), 60, 20)
	if !strings.Contains(rows[19], "detail line 39") {
		t.Fatalf("after many PgDn the last row is %q, want the detail's end", rows[19])
	}
	c.Update(keyMsg("pgup")) // one PgUp from the end moves back at once
	rows = assertSize(t, c.View(), 60, 20)
	if strings.Contains(rows[19], "detail line 39") {
		t.Fatal("PgUp after scrolling to the end did not move: the detail stuck")
	}
	c.Update(keyMsg("down")) // another check: its detail from the top
	if rows = assertSize(t, c.View(), 60, 20); !strings.Contains(strings.Join(rows, "\n"), "dkim.record") {
		t.Fatalf("selection move:\n%s", c.View())
	}
}

// A fix that no record can apply says who acts and where, in the pane as
// in the CLI and on the clipboard.
func TestChecklistShowsWhereAManualFixIsApplied(t *testing.T) {
	ctx := testContext()
	c := NewChecklist(ctx, []scoring.Check{{ID: "rdns.ptr"}})
	c.Reset()
	c.Apply(scoring.Result{ID: "rdns.ptr", Status: scoring.Fail, Title: "No PTR for 192.0.2.1",
		Fix: &scoring.Fix{Summary: "Set a PTR record", Manual: "at your VPS provider's panel"}}, ctx.Now())
	c.SetSize(60, 20)
	if v := c.View(); !strings.Contains(v, "Where: at your VPS provider's panel") {
		t.Fatalf("manual fix not shown:\n%s", v)
	}
	if ft := c.FixText(); !strings.Contains(ft, "Where: at your VPS provider's panel") {
		t.Fatalf("clipboard text lacks the manual fix: %q", ft)
	}
}

func TestChecklistShortDetailDoesNotScroll(t *testing.T) {
	ctx := testContext()
	c := detailChecklist(ctx, 1)
	c.SetSize(60, 20)
	before := c.View()
	c.Update(keyMsg("pgdown"))
	if c.View() != before {
		t.Fatal("a detail shorter than its area scrolled")
	}
}

func TestChecklistEveryHeight(t *testing.T) {
	ctx := testContext()
	c := detailChecklist(ctx, 40)
	for h := 0; h < 30; h++ {
		c.SetSize(50, h)
		c.Update(keyMsg("pgdown"))
		if h == 0 {
			continue
		}
		assertSize(t, c.View(), 50, h)
	}
}

func TestComposeArrowsLeaveTheBody(t *testing.T) {
	c := NewCompose(testContext(), composeDraft(), []string{"a@b.example"})
	c.SetSize(60, 16)
	c.StartEditing()
	for c.field != FieldBody {
		c.Update(keyMsg("down"))
	}
	c.Update(keyMsg("up")) // the cursor starts on the body's first line
	if c.field != FieldSubject {
		t.Fatalf("↑ on the body's first line stayed in field %d", c.field)
	}
	c.Update(keyMsg("down"))
	for i := 0; i < 10; i++ { // down through the body's lines, then out
		c.Update(keyMsg("down"))
	}
	if c.field == FieldBody {
		t.Fatal("↓ on the body's last line did not leave the body")
	}
}

func TestComposeViewFits(t *testing.T) {
	c := NewCompose(testContext(), composeDraft(), nil)
	for _, size := range [][2]int{{76, 18}, {40, 8}, {20, 3}} {
		c.SetSize(size[0], size[1])
		assertSize(t, c.View(), size[0], size[1])
	}
}

// A URL is never broken mid-token: it stays whole on one line (cut short
// with … only when longer than the line) and links to the whole address.
func TestWrapKeepsURLsWhole(t *testing.T) {
	url := "https://support.google.com/mail/?p=IPv6AuthError"
	for _, w := range []int{30, 60, 80} {
		lines := Wrap("Please review "+url+" for more information", w)
		found := 0
		for _, l := range lines {
			if n := ansi.StringWidth(l); n > w {
				t.Fatalf("width %d: line of %d cells: %q", w, n, l)
			}
			if strings.Contains(l, "\x1b]8;;"+url+"\a") {
				found++
			}
			plain := ansi.Strip(l)
			if strings.Contains(plain, "https://") && !strings.Contains(plain, url) && !strings.HasSuffix(strings.TrimSpace(plain), "…") {
				t.Fatalf("width %d: the URL is broken: %q", w, plain)
			}
		}
		if found != 1 {
			t.Fatalf("width %d: %d lines link the whole URL:\n%q", w, found, lines)
		}
	}
}

// Indentation is kept on wrapped and continuation lines (an SPF include
// tree stays a tree).
func TestWrapKeepsIndentation(t *testing.T) {
	tree := "v=spf1 include:_spf.example.net -all\n  include:_spf.example.net\n    ip4:192.0.2.0/24 ip4:198.51.100.0/24 ip4:203.0.113.0/24"
	lines := Wrap(tree, 40)
	if !strings.HasPrefix(lines[1], "  include:") || !strings.HasPrefix(lines[2], "    ip4:") {
		t.Fatalf("indentation lost:\n%s", strings.Join(lines, "\n"))
	}
	if !strings.HasPrefix(lines[3], "    ip4:") {
		t.Fatalf("a continuation line lost its indentation:\n%s", strings.Join(lines, "\n"))
	}
}

// Through the local MTA (sendmail or --via mta) the TLS of the onward hop
// is the MTA's: unknown unless its report said, never "plaintext".
func TestTLSPaneThroughTheLocalMTA(t *testing.T) {
	p := NewTLS(testContext())
	p.SetSize(60, 6)
	for _, route := range []string{"sendmail", "mta"} {
		p.Finish(false, nil, route)
		if v := ansi.Strip(p.View()); !strings.Contains(v, "local MTA") || strings.Contains(v, "plaintext") {
			t.Fatalf("%s: %s", route, v)
		}
	}
	p.Finish(true, &smtpc.TLSInfo{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256"}, "mta")
	if v := ansi.Strip(p.View()); !strings.Contains(v, "TLS 1.3") {
		t.Fatalf("mta with TLS facts: %s", v)
	}
}

// After a send the DKIM pane reports both verifications as the session
// made them — a hard-coded pass could not say the published key differs.
func TestDKIMPaneReportsBothVerifications(t *testing.T) {
	p := NewDKIM(testContext())
	p.SetSize(70, 12)
	p.Signed = &sign.Info{KeyType: "rsa", Bits: 2048, Domain: "example.com", Selector: "s1"}
	p.Offline = []dkim.SignatureResult{{Domain: "example.com", Selector: "s1", Status: dkim.Pass}}
	p.Published = []dkim.SignatureResult{{Domain: "example.com", Selector: "s1", Status: dkim.Fail, Failure: dkim.SignatureMismatch}}
	v := ansi.Strip(p.View())
	if !strings.Contains(v, "✓ against the private key") || !strings.Contains(v, "✗ published record") {
		t.Fatalf("DKIM pane after a send:\n%s", v)
	}
	if !strings.Contains(v, "did not verify") {
		t.Fatalf("the published record's failure is not explained:\n%s", v)
	}
}
