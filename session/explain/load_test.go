package explain

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/mailcred/mailcred/scoring"
)

// TestCatalogueMatchesScoring keeps the data's check catalogue in step with
// the checks the scoring package weighs (the README's weights table).
func TestCatalogueMatchesScoring(t *testing.T) {
	schema, err := data.ReadFile("data/schema.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := readDoc(fstest.MapFS{"s.yaml": {Data: schema}}, "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ours := slices.Sorted(slices.Values(doc.Checks))
	theirs := slices.Sorted(maps.Keys(scoring.DefaultWeights))
	if !slices.Equal(ours, theirs) {
		t.Errorf("data/schema.yaml checks:\n %q\nscoring.DefaultWeights:\n %q", ours, theirs)
	}
}

// validEntry is a correct entry the bad-data cases below break one way at
// a time.
const validEntry = `
  - id: gmail.example
    provider: gmail
    match:
      codes: [550]
      enhanced: [5.7.1]
      text: ["an example"]
    category: auth
    meaning: An example.
    checks: [spf.result]
    fix: Nothing.
    link: https://example.org/
    source: "this test"
`

// loadWith builds a KB from the real schema plus one file of entries.
func loadWith(t *testing.T, entries string) error {
	t.Helper()
	schema, err := data.ReadFile("data/schema.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = loadFS(fstest.MapFS{
		"d/schema.yaml": {Data: schema},
		"d/test.yaml":   {Data: []byte(entries)},
	}, "d")
	return err
}

func TestLoadValidEntry(t *testing.T) {
	if err := loadWith(t, "entries:"+validEntry); err != nil {
		t.Fatalf("valid entry refused: %v", err)
	}
}

func TestLoadRejectsBadData(t *testing.T) {
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"unknown field", "      text:", "      txt:", "field txt not found"},
		{"unknown category", "category: auth", "category: spam", `unknown category "spam"`},
		{"unknown check", "checks: [spf.result]", "checks: [spf.results]", `unknown check id "spf.results"`},
		{"repeated check", "checks: [spf.result]", "checks: [spf.result, spf.result]", "listed twice"},
		{"unknown provider", "provider: gmail", "provider: hotmail", `unknown provider "hotmail"`},
		{"id without its provider", "id: gmail.example", "id: yahoo.example", "must start with its provider"},
		{"id shape", "id: gmail.example", "id: Gmail Example", "id must look like"},
		{"no source", `source: "this test"`, `source: ""`, "source is required"},
		{"no meaning", "meaning: An example.", `meaning: ""`, "meaning is required"},
		{"no fix", "fix: Nothing.", `fix: ""`, "fix is required"},
		{"no link", "link: https://example.org/", `link: ""`, "required for a provider entry"},
		{"bad link", "link: https://example.org/", "link: ftp://example.org/", "want an absolute http(s) URL"},
		{"bad regexp", `text: ["an example"]`, `regexp: ["(unclosed"]`, "regexp"},
		{"bad bracket", `text: ["an example"]`, `brackets: ["S3140("]`, "bracket"},
		{"bad enhanced", "enhanced: [5.7.1]", "enhanced: [5.7]", "class.subject.detail"},
		{"bad enhanced class", "enhanced: [5.7.1]", "enhanced: [6.7.1]", "class must be 2, 4 or 5"},
		{"empty range", "enhanced: [5.7.1]", "enhanced: [5.7.649-606]", "empty detail range"},
		{"bad code", "codes: [550]", "codes: [999]", "not an SMTP reply code"},
		{"bad class", "codes: [550]", "classes: [7]", "class 7"},
		{"unknown stage", "codes: [550]", "stages: [quit]", `unknown stage "quit"`},
		{"no condition", "      codes: [550]\n      enhanced: [5.7.1]\n      text: [\"an example\"]\n", "      stages: [mail]\n", "no condition"},
		{"contradiction", "codes: [550]", "no_enhanced: true", "contradicts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(validEntry, tc.old) {
				t.Fatalf("test case does not apply: %q", tc.old)
			}
			err := loadWith(t, "entries:"+strings.Replace(validEntry, tc.old, tc.new, 1))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestLoadReportsEveryProblem: duplicate ids and a bad entry elsewhere are
// reported together, not one per run.
func TestLoadReportsEveryProblem(t *testing.T) {
	bad := strings.Replace(validEntry, "id: gmail.example", "id: gmail.other", 1)
	bad = strings.Replace(bad, "category: auth", "category: nope", 1)
	err := loadWith(t, "entries:"+validEntry+validEntry+bad)
	for _, want := range []string{"duplicate id", `unknown category "nope"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want it to contain %q", err, want)
		}
	}
}

func TestLoadRejectsBadSchema(t *testing.T) {
	schema, err := data.ReadFile("data/schema.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, old, new, want string }{
		{"missing stage", "  - name: end-of-data\n", "  - name: end-of-datum\n", "not one of"},
		{"ambiguous alias", "aliases: [helo, lhlo]", "aliases: [helo, lhlo, greeting]", "used by"},
		{"exclude unknown check", "excludes: [dkim., dmarc., headers., message., blocklist.domain, mx.record]\n  - name: starttls",
			"excludes: [dkim., dmarc., headers., message., blocklist.domain, mx.recrd]\n  - name: starttls", `excludes unknown check "mx.recrd"`},
		{"fallback category", "fallback:\n  category: policy", "fallback:\n  category: nope", "fallback: unknown category"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := string(schema)
			if !strings.Contains(s, tc.old) {
				t.Fatalf("test case does not apply: %q", tc.old)
			}
			_, err := loadFS(fstest.MapFS{
				"d/schema.yaml": {Data: []byte(strings.Replace(s, tc.old, tc.new, 1))},
				"d/test.yaml":   {Data: []byte("entries:" + validEntry)},
			}, "d")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	t.Run("schema defined twice", func(t *testing.T) {
		_, err := loadFS(fstest.MapFS{
			"d/a.yaml": {Data: schema},
			"d/b.yaml": {Data: schema},
		}, "d")
		if err == nil || !strings.Contains(err.Error(), "already defined") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("no files", func(t *testing.T) {
		if _, err := loadFS(fstest.MapFS{}, "d"); err == nil {
			t.Fatal("no error")
		}
	})
}
