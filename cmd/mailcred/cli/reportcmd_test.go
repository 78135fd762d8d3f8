package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/smtptest"
)

// hostileReject refuses at RCPT as Outlook does for S3140, with markup and
// a Markdown fence in the reply: the report must quote it exactly and
// never let it out of its block.
func hostileReject(c smtptest.Command) *smtptest.Reply {
	if c.Stage == smtpx.RCPT {
		return &smtptest.Reply{Code: 550, Enhanced: "5.7.1", Lines: []string{
			"Unfortunately, messages from [192.0.2.10] weren't sent. Please contact your Internet service provider",
			"since part of their network is on our block list (S3140). <script>alert(1)</script> ```"}}
	}
	return nil
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSendReportForADelistingTicket(t *testing.T) {
	dns := world(t, true)
	srv, ca, _ := submission(t, hostileReject)
	dir := t.TempDir()
	md, page := filepath.Join(dir, "ticket.md"), filepath.Join(dir, "ticket.html")
	env := []string{envPassword + "=" + smtpPassword}
	args := sendArgs(dns, srv.Addr(), ca, "--yes")
	code, out, stderr := run(t, env, append(args, "--report", md)...)
	if code != ExitFailed {
		t.Fatalf("exit %d, want 1 (refused)\n%s\n%s", code, out, stderr)
	}
	code, jsonOut, _ := run(t, env, append(args, "--report", page, "--format", "json")...)
	if code != ExitFailed {
		t.Fatalf("json run: exit %d", code)
	}
	m, h := readFile(t, md), readFile(t, page)
	for _, want := range []string{
		"# mailcred send report: example.com", "| Sending IP | 192.0.2.10 |", "| Outcome | REJECTED at RCPT |",
		"## The exact reply", "550-Unfortunately, messages from [192.0.2.10] weren't sent.",
		"## Sender state (PTR, SPF, DKIM, DMARC)", "| PTR (reverse DNS) | ✗ fail |", "| SPF record | ✗ fail |", "| DMARC record | ✗ fail |",
		"## Explanations and fixes", "IN TXT \"v=spf1", "## SMTP transcript", "AUTH PLAIN ****", "## DNS answers", "| NOERROR |",
	} {
		if !strings.Contains(m, want) && !strings.Contains(m, strings.ReplaceAll(want, "| NOERROR |", "| nodata |")) {
			t.Errorf("Markdown report lacks %q", want)
		}
	}
	// The reply's backticks cannot close its block: the fence is longer.
	if !strings.Contains(m, "````\n550-Unfortunately") {
		t.Errorf("the reply's block is not fenced beyond its backtick run:\n%s", m[:min(len(m), 1500)])
	}
	// A DNS answer with its TTL.
	if !strings.Contains(m, "| mail.example.com. | A | ok | 300 |") && !strings.Contains(m, " | 300 | ") {
		t.Errorf("no DNS answer with its TTL in the report")
	}
	for _, want := range []string{"<!DOCTYPE html>", `class="st fail"`, "#cf222e", "&lt;script&gt;alert(1)&lt;/script&gt;", "S3140"} {
		if !strings.Contains(h, want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
	for _, never := range []string{"<script", "<link", " src=", "@import", "url("} {
		if strings.Contains(h, never) {
			t.Errorf("HTML report is not self-contained or lets markup through: %q", never)
		}
	}
	assertNoPassword(t, m, h, out, jsonOut, stderr)
	assertNoKeyMaterial(t, keyFile, m, h)

	// The same findings saved as JSON make the same report sections.
	saved := filepath.Join(dir, "send.json")
	if err := os.WriteFile(saved, []byte(jsonOut), 0o600); err != nil {
		t.Fatal(err)
	}
	code, fromJSON, stderr := run(t, nil, "report", saved)
	if code != ExitOK || !strings.Contains(fromJSON, "## The exact reply") || !strings.Contains(fromJSON, "S3140") {
		t.Fatalf("report from saved JSON: exit %d %s\n%.500s", code, stderr, fromJSON)
	}
	code, _, stderr = run(t, nil, "report", saved, "--out", filepath.Join(dir, "again.html"))
	if code != ExitOK || !strings.HasPrefix(readFile(t, filepath.Join(dir, "again.html")), "<!DOCTYPE html>") {
		t.Fatalf("report --out x.html: exit %d %s", code, stderr)
	}
}

func TestCheckAndScoreReports(t *testing.T) {
	dir := t.TempDir()
	rep := filepath.Join(dir, "check.md")
	code, _, stderr := run(t, nil, checkArgs(world(t, true), "--report", rep)...)
	if code != ExitFailed || !strings.Contains(stderr, "report written to "+rep) {
		t.Fatalf("check --report: exit %d %s", code, stderr)
	}
	m := readFile(t, rep)
	for _, want := range []string{"# mailcred check report: example.com", "| Score | ", "No SPF record at example.com", "example.com. IN TXT"} {
		if !strings.Contains(m, want) {
			t.Errorf("check report lacks %q", want)
		}
	}
	srep := filepath.Join(dir, "score.html")
	code, _, stderr = run(t, nil, scoreArgs(world(t, false), writeFile(t, "good.eml", goodMessage(t)), "--report", srep)...)
	if code != ExitOK {
		t.Fatalf("score --report: exit %d %s", code, stderr)
	}
	if h := readFile(t, srep); !strings.Contains(h, "Authentication-Results: ") || !strings.Contains(h, "dkim=pass") {
		t.Errorf("score report lacks the Authentication-Results field")
	}
}

func TestReportRefusesWhatIsNotFindings(t *testing.T) {
	for doc, want := range map[string]string{
		"From: a@example.com\r\n\r\nhi\r\n": "not JSON (byte 1): give the output of check, send or score --format json",
		`{"x":1}`:                           "no schema_version: not the output of check, send or score",
		`{"schema_version":2,"checks":[]}`:  "schema_version 2",
		`{"schema_version":1}`:              "no checks and no outcome",
	} {
		f := writeFile(t, "x.json", []byte(doc))
		if code, _, stderr := run(t, nil, "report", f); code != ExitError || !strings.Contains(stderr, want) || strings.Contains(stderr, "invalid character") {
			t.Errorf("%s: exit %d %q, want %q", doc, code, stderr, want)
		}
	}
	if code, _, stderr := run(t, nil, "report", t.TempDir()); code != ExitError || !strings.Contains(stderr, "not a regular file") {
		t.Errorf("directory: exit %d %q", code, stderr)
	}
}

func TestWorkbenchReportWritesANewFileWithoutSecrets(t *testing.T) {
	dir := t.TempDir()
	g := &globals{theme: "default"}
	save := g.workbenchReport(dir, smtpPassword)
	results := []scoring.Result{{ID: "rdns.ptr", Status: scoring.Fail, Title: "192.0.2.10 has no PTR record; " + smtpPassword}}
	path, err := save("example.com", results, scoring.DefaultWeights.Compute(results), nil)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(path) != dir || !strings.HasPrefix(filepath.Base(path), "mailcred-report-example.com-") {
		t.Errorf("report path %s", path)
	}
	m := readFile(t, path)
	if !strings.Contains(m, "# mailcred workbench report: example.com") || !strings.Contains(m, "| PTR (reverse DNS) | ✗ fail |") {
		t.Errorf("report:\n%s", m)
	}
	assertNoPassword(t, m)
	if _, err := save("../../etc", results, scoring.Score{}, nil); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "/") || !strings.HasPrefix(e.Name(), "mailcred-report-") {
			t.Errorf("unexpected file %s", e.Name())
		}
	}
}
