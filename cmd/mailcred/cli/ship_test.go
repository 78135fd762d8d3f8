package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/session/demo"
	"github.com/mailcred/mailcred/themes"
)

func TestVersionNamesModuleCommitAndGo(t *testing.T) {
	code, text, _ := run(t, nil, "version")
	if code != ExitOK {
		t.Fatalf("version exits %d", code)
	}
	_, flag, _ := run(t, nil, "--version")
	if text != flag {
		t.Errorf("`version` and --version differ:\n%s\n%s", text, flag)
	}
	for _, want := range []string{"mailcred version ", "\ncommit ", runtime.Version(), runtime.GOOS + "/" + runtime.GOARCH} {
		if !strings.Contains(text, want) {
			t.Errorf("version output lacks %q:\n%s", want, text)
		}
	}
	// Tests run without VCS stamping: the commit is said to be unknown,
	// not left blank.
	if b := readBuildInfo(); b.Commit == "" && !strings.Contains(text, "commit unknown") {
		t.Errorf("no commit and not said so:\n%s", text)
	}
	code, out, _ := run(t, nil, "version", "--format", "json")
	var b struct {
		SchemaVersion int `json:"schema_version"`
		BuildInfo
	}
	if err := json.Unmarshal([]byte(out), &b); code != ExitOK || err != nil {
		t.Fatalf("version --format json: exit %d, %v\n%s", code, err, out)
	}
	if b.SchemaVersion != SchemaVersion || b.Go != runtime.Version() || b.Version == "" {
		t.Errorf("version JSON: %+v", b)
	}
}

func TestManPagesCoverEveryCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "man")
	env := []string{"SOURCE_DATE_EPOCH=1796515200"} // 2026-12-06
	if code, _, stderr := run(t, env, "man", "--dir", dir); code != ExitOK {
		t.Fatalf("man --dir: exit %d %s", code, stderr)
	}
	root := newRoot(&globals{})
	want := []string{"mailcred.1"}
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() {
			want = append(want, "mailcred-"+c.Name()+".1")
		}
	}
	for _, name := range want {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("no page %s: %v", name, err)
			continue
		}
		if !strings.Contains(string(b), `.TH "MAILCRED" "1" "Dec 2026"`) {
			t.Errorf("%s: header not dated by SOURCE_DATE_EPOCH:\n%.200s", name, b)
		}
	}
	check, _ := os.ReadFile(filepath.Join(dir, "mailcred-check.1"))
	for _, flag := range []string{"--domain", "--selector", "--resolver"} {
		if !strings.Contains(string(check), `\fB`+strings.ReplaceAll(flag, "-", `\-`)) && !strings.Contains(string(check), `\fB`+flag) {
			t.Errorf("mailcred-check.1 does not document %s", flag)
		}
	}
	code, out, _ := run(t, env, "man")
	if code != ExitOK || !strings.HasPrefix(out, ".nh\n.TH \"MAILCRED\" \"1\"") || !strings.Contains(out, "mailcred-check(1)") {
		t.Errorf("man to stdout: exit %d\n%.300s", code, out)
	}
	if code, _, stderr := run(t, []string{"SOURCE_DATE_EPOCH=soon"}, "man"); code != ExitError || !strings.Contains(stderr, "SOURCE_DATE_EPOCH") {
		t.Errorf("bad SOURCE_DATE_EPOCH: exit %d %q", code, stderr)
	}
}

// complete runs cobra's hidden completion command as a shell would.
func complete(t *testing.T, args ...string) []string {
	t.Helper()
	code, out, stderr := run(t, nil, append([]string{"__complete"}, args...)...)
	if code != ExitOK {
		t.Fatalf("__complete %v: exit %d %s", args, code, stderr)
	}
	var values []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(line, ":") { // the directive line
			if line != ":4" {
				t.Errorf("__complete %v: directive %s, want 4 (no file completion)", args, line)
			}
			continue
		}
		v, _, _ := strings.Cut(line, "\t")
		values = append(values, v)
	}
	return values
}

func TestFlagValuesComplete(t *testing.T) {
	var selectors, scenarios []string
	for _, s := range dkim.CommonSelectors() {
		selectors = append(selectors, s.Name)
	}
	for _, s := range demo.Scenarios() {
		scenarios = append(scenarios, s.Name)
	}
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--theme", ""}, themes.Names()},
		{[]string{"check", "--theme", ""}, themes.Names()},
		{[]string{"check", "--format", ""}, []string{"text", "json"}},
		{[]string{"send", "--tls", ""}, []string{"opportunistic", "starttls", "implicit", "none"}},
		{[]string{"--tls", ""}, []string{"opportunistic", "starttls", "implicit", "none"}},
		{[]string{"demo", "--scenario", ""}, scenarios},
		{[]string{"check", "--selector", ""}, selectors},
		{[]string{"send", "--selector", ""}, selectors},
		{[]string{"--selector", ""}, selectors},
		{[]string{"keygen", "--type", ""}, []string{"rsa", "ed25519"}},
	} {
		got := complete(t, tc.args...)
		if strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%v completes %v, want %v", tc.args, got, tc.want)
		}
	}
	if len(selectors) < 10 || len(scenarios) < 2 {
		t.Errorf("tables look empty: %d selectors, %d scenarios", len(selectors), len(scenarios))
	}
}
