package explain

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/mailcred/mailcred/scoring/smtpx"
)

// data holds the knowledge: schema.yaml (providers, categories, the check
// catalogue, the stages, the fallback) and one file of entries per provider.
//
//go:embed data/*.yaml
var data embed.FS

// KB is the parsed, validated knowledge base. It is read-only after Load and
// safe for concurrent use.
type KB struct {
	entries  []entry
	fallback entry
	stages   map[smtpx.Stage]stageInfo
	aliases  map[string]smtpx.Stage // stageKey(name or alias) → canonical stage
}

// entry is one row of the table, compiled.
type entry struct {
	id, provider, category string
	meaning, fix, link     string
	source, file           string
	checks                 []string
	rule                   rule
}

// stageInfo is what a stage rules out.
type stageInfo struct {
	rulesOut string
	excludes []string // check ids, or prefixes ending in "."
}

// Load parses and validates the embedded knowledge base. Every problem in
// the data (duplicate ids, a regexp that does not compile, an unknown
// category, provider, stage or check id, a missing source) is reported,
// all at once; a KB is returned only when there is none.
func Load() (*KB, error) {
	kb, err := loadFS(data, "data")
	if err != nil {
		return nil, fmt.Errorf("explain: knowledge base: %w", err)
	}
	return kb, nil
}

// loadFS reads every *.yaml file of dir in fsys, in name order, and builds
// the KB from them.
func loadFS(fsys fs.FS, dir string) (*KB, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no *.yaml files in %s", dir)
	}
	sort.Strings(names)
	docs := make([]fileDoc, 0, len(names))
	for _, name := range names {
		doc, err := readDoc(fsys, name)
		if err != nil {
			return nil, err
		}
		doc.name = path.Base(name)
		docs = append(docs, doc)
	}
	return build(docs)
}

// readDoc decodes one file strictly: an unknown field is an error, so a
// misspelt key cannot silently disable a rule.
func readDoc(fsys fs.FS, name string) (fileDoc, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return fileDoc{}, fmt.Errorf("open %s: %w", name, err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	var doc fileDoc
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return fileDoc{}, fmt.Errorf("parse %s: %w", name, err)
	}
	return doc, nil
}

// fileDoc is one data file as written.
type fileDoc struct {
	name       string
	Providers  []string      `yaml:"providers"`
	Categories []categoryDoc `yaml:"categories"`
	Checks     []string      `yaml:"checks"`
	Stages     []stageDoc    `yaml:"stages"`
	Fallback   *fallbackDoc  `yaml:"fallback"`
	Entries    []entryDoc    `yaml:"entries"`
}

type categoryDoc struct {
	Name  string `yaml:"name"`
	About string `yaml:"about"`
}

type stageDoc struct {
	Name     string   `yaml:"name"`
	Aliases  []string `yaml:"aliases"`
	RulesOut string   `yaml:"rules_out"`
	Excludes []string `yaml:"excludes"`
}

type fallbackDoc struct {
	Category string   `yaml:"category"`
	Meaning  string   `yaml:"meaning"`
	Checks   []string `yaml:"checks"`
	Fix      string   `yaml:"fix"`
	Source   string   `yaml:"source"`
}

type entryDoc struct {
	ID       string   `yaml:"id"`
	Provider string   `yaml:"provider"`
	Match    matchDoc `yaml:"match"`
	Category string   `yaml:"category"`
	Meaning  string   `yaml:"meaning"`
	Checks   []string `yaml:"checks"`
	Fix      string   `yaml:"fix"`
	Link     string   `yaml:"link"`
	Source   string   `yaml:"source"`
}

type matchDoc struct {
	Codes      []int    `yaml:"codes"`
	Classes    []int    `yaml:"classes"`
	Enhanced   []string `yaml:"enhanced"`
	NoEnhanced bool     `yaml:"no_enhanced"`
	Stages     []string `yaml:"stages"`
	Brackets   []string `yaml:"brackets"`
	Text       []string `yaml:"text"`
	Regexp     []string `yaml:"regexp"`
}

// stageKey normalises a stage name or alias: lower case, spaces and
// underscores as hyphens ("MAIL FROM" → "mail-from").
func stageKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer(" ", "-", "_", "-").Replace(s)
	return s
}

// canonicalStages returns the stages the data must describe, in order.
func canonicalStages() []smtpx.Stage {
	return []smtpx.Stage{
		smtpx.Connect, smtpx.EHLO, smtpx.STARTTLS, smtpx.AUTH,
		smtpx.MAIL, smtpx.RCPT, smtpx.DATA, smtpx.EndOfData,
	}
}
