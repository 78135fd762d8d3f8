package explain

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/mailcred/mailcred/scoring/smtpx"
)

// genericProvider is the provider of the RFC fallbacks; Explain reports no
// entry id for them.
const genericProvider = "generic"

// idPattern is the shape of an entry id: the provider, a dot, a name.
var idPattern = regexp.MustCompile(`^[a-z0-9-]+\.[a-z0-9.-]+$`)

// schema is the vocabulary the entries are checked against.
type schema struct {
	providers  map[string]bool
	categories map[string]bool
	checks     map[string]bool
	stages     map[smtpx.Stage]stageInfo
	aliases    map[string]smtpx.Stage
	fallback   *fallbackDoc
}

// build validates the files and compiles them into a KB. It collects every
// problem rather than stopping at the first.
func build(docs []fileDoc) (*KB, error) {
	var errs []error
	sc := readSchema(docs, &errs)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	kb := &KB{stages: sc.stages, aliases: sc.aliases}
	kb.fallback = entry{
		provider: genericProvider,
		category: sc.fallback.Category,
		meaning:  tidy(sc.fallback.Meaning),
		fix:      tidy(sc.fallback.Fix),
		source:   tidy(sc.fallback.Source),
		checks:   sc.fallback.Checks,
	}
	if !sc.categories[kb.fallback.category] {
		errs = append(errs, fmt.Errorf("fallback: unknown category %q", kb.fallback.category))
	}
	errs = append(errs, checkIDs("fallback", kb.fallback.checks, sc.checks)...)
	if kb.fallback.meaning == "" || kb.fallback.source == "" {
		errs = append(errs, errors.New("fallback: meaning and source are required"))
	}
	seen := map[string]string{}
	for _, doc := range docs {
		for i, ed := range doc.Entries {
			where := fmt.Sprintf("%s: entry %d (%q)", doc.name, i+1, ed.ID)
			if prev, dup := seen[ed.ID]; dup {
				errs = append(errs, fmt.Errorf("%s: duplicate id, first in %s", where, prev))
				continue
			}
			seen[ed.ID] = doc.name
			e, entryErrs := compileEntry(ed, sc)
			for _, err := range entryErrs {
				errs = append(errs, fmt.Errorf("%s: %w", where, err))
			}
			e.file = doc.name
			kb.entries = append(kb.entries, e)
		}
	}
	if len(kb.entries) == 0 {
		errs = append(errs, errors.New("no entries"))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return kb, nil
}

// tidy collapses the white space a YAML block scalar may leave.
func tidy(s string) string { return strings.Join(strings.Fields(s), " ") }

// readSchema takes the vocabulary from the one file that defines each part.
func readSchema(docs []fileDoc, errs *[]error) schema {
	sc := schema{
		providers:  map[string]bool{},
		categories: map[string]bool{},
		checks:     map[string]bool{},
		stages:     map[smtpx.Stage]stageInfo{},
		aliases:    map[string]smtpx.Stage{},
	}
	var from struct{ providers, categories, checks, stages, fallback string }
	once := func(part string, definedIn *string, doc fileDoc) bool {
		if *definedIn != "" {
			*errs = append(*errs, fmt.Errorf("%s: %s already defined in %s", doc.name, part, *definedIn))
			return false
		}
		*definedIn = doc.name
		return true
	}
	for _, doc := range docs {
		if len(doc.Providers) > 0 && once("providers", &from.providers, doc) {
			addNames(sc.providers, "provider", doc.Providers, errs)
		}
		if len(doc.Categories) > 0 && once("categories", &from.categories, doc) {
			for _, c := range doc.Categories {
				addNames(sc.categories, "category", []string{c.Name}, errs)
				if strings.TrimSpace(c.About) == "" {
					*errs = append(*errs, fmt.Errorf("category %q: about is required", c.Name))
				}
			}
		}
		if len(doc.Checks) > 0 && once("checks", &from.checks, doc) {
			addNames(sc.checks, "check", doc.Checks, errs)
		}
		if len(doc.Stages) > 0 && once("stages", &from.stages, doc) {
			readStages(doc.Stages, &sc, errs)
		}
		if doc.Fallback != nil && once("fallback", &from.fallback, doc) {
			sc.fallback = doc.Fallback
		}
	}
	for _, part := range []struct{ name, definedIn string }{
		{"providers", from.providers}, {"categories", from.categories}, {"checks", from.checks},
		{"stages", from.stages}, {"fallback", from.fallback},
	} {
		if part.definedIn == "" {
			*errs = append(*errs, fmt.Errorf("no file defines %s", part.name))
		}
	}
	if !sc.providers[genericProvider] && from.providers != "" {
		*errs = append(*errs, fmt.Errorf("providers: %q is required", genericProvider))
	}
	// Excludes name checks, so they are checked once both are known.
	for _, st := range canonicalStages() {
		for _, x := range sc.stages[st].excludes {
			if !knownCheckOrPrefix(x, sc.checks) {
				*errs = append(*errs, fmt.Errorf("stage %s: excludes unknown check %q", st, x))
			}
		}
	}
	return sc
}

// addNames adds unique, non-empty names to set.
func addNames(set map[string]bool, kind string, names []string, errs *[]error) {
	for _, n := range names {
		switch {
		case strings.TrimSpace(n) == "" || n != strings.TrimSpace(n):
			*errs = append(*errs, fmt.Errorf("%s %q: empty or padded name", kind, n))
		case set[n]:
			*errs = append(*errs, fmt.Errorf("%s %q: listed twice", kind, n))
		default:
			set[n] = true
		}
	}
}

// readStages checks that every canonical stage is described once, with a
// rules_out text, and that no alias is ambiguous.
func readStages(docs []stageDoc, sc *schema, errs *[]error) {
	known := map[smtpx.Stage]bool{}
	for _, st := range canonicalStages() {
		known[st] = true
	}
	for _, sd := range docs {
		st, _ := smtpx.ParseStage(sd.Name)
		if !known[st] || st.Key() != sd.Name {
			*errs = append(*errs, fmt.Errorf("stage %q: not one of %v", sd.Name, canonicalStages()))
			continue
		}
		if _, dup := sc.stages[st]; dup {
			*errs = append(*errs, fmt.Errorf("stage %q: described twice", sd.Name))
			continue
		}
		if tidy(sd.RulesOut) == "" {
			*errs = append(*errs, fmt.Errorf("stage %q: rules_out is required", sd.Name))
		}
		sc.stages[st] = stageInfo{rulesOut: tidy(sd.RulesOut), excludes: sd.Excludes}
		for _, key := range append([]string{sd.Name}, sd.Aliases...) {
			k := stageKey(key)
			if prev, dup := sc.aliases[k]; dup {
				*errs = append(*errs, fmt.Errorf("stage alias %q: used by %s and %s", key, prev, st))
				continue
			}
			sc.aliases[k] = st
		}
	}
	for _, st := range canonicalStages() {
		if _, ok := sc.stages[st]; !ok {
			*errs = append(*errs, fmt.Errorf("stage %q: not described", st))
		}
	}
}

// knownCheckOrPrefix reports whether x is a check id, or a prefix ending in
// "." of at least one.
func knownCheckOrPrefix(x string, checks map[string]bool) bool {
	if !strings.HasSuffix(x, ".") {
		return checks[x]
	}
	for id := range checks {
		if strings.HasPrefix(id, x) {
			return true
		}
	}
	return false
}

// checkIDs reports unknown or repeated check ids.
func checkIDs(where string, ids []string, known map[string]bool) []error {
	var errs []error
	seen := map[string]bool{}
	for _, id := range ids {
		if !known[id] {
			errs = append(errs, fmt.Errorf("%s: unknown check id %q", where, id))
		}
		if seen[id] {
			errs = append(errs, fmt.Errorf("%s: check id %q listed twice", where, id))
		}
		seen[id] = true
	}
	return errs
}

// compileEntry validates one entry and compiles its match rule.
func compileEntry(ed entryDoc, sc schema) (entry, []error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	e := entry{
		id: ed.ID, provider: ed.Provider, category: ed.Category,
		meaning: tidy(ed.Meaning), fix: tidy(ed.Fix), link: strings.TrimSpace(ed.Link),
		source: tidy(ed.Source), checks: ed.Checks,
	}
	if !idPattern.MatchString(e.id) {
		bad("id must look like provider.name in lower case")
	}
	if !sc.providers[e.provider] {
		bad("unknown provider %q", e.provider)
	} else if !strings.HasPrefix(e.id, e.provider+".") {
		bad("id must start with its provider %q", e.provider+".")
	}
	if !sc.categories[e.category] {
		bad("unknown category %q", e.category)
	}
	errs = append(errs, checkIDs("checks", e.checks, sc.checks)...)
	if e.meaning == "" {
		bad("meaning is required")
	}
	if e.source == "" {
		bad("source is required")
	}
	if e.fix == "" && e.category != "accepted" {
		bad("fix is required")
	}
	if err := checkLink(e.link, e.provider != genericProvider); err != nil {
		bad("link: %v", err)
	}
	var ruleErrs []error
	e.rule, ruleErrs = compileRule(ed.Match, sc)
	errs = append(errs, ruleErrs...)
	return e, errs
}

// checkLink accepts an absolute http(s) URL or a mailto: address; required
// says whether an empty link is an error.
func checkLink(link string, required bool) error {
	if link == "" {
		if required {
			return errors.New("required for a provider entry")
		}
		return nil
	}
	u, err := url.Parse(link)
	if err != nil {
		return fmt.Errorf("%q: %w", link, err)
	}
	switch {
	case (u.Scheme == "https" || u.Scheme == "http") && u.Host != "":
		return nil
	case u.Scheme == "mailto" && strings.Contains(u.Opaque, "@"):
		return nil
	}
	return fmt.Errorf("%q: want an absolute http(s) URL or a mailto: address", link)
}

// compileRule validates and compiles the match conditions of an entry.
func compileRule(md matchDoc, sc schema) (rule, []error) {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	r := rule{codes: md.Codes, classes: md.Classes, noEnhanced: md.NoEnhanced}
	for _, c := range md.Codes {
		if c < 200 || c > 599 {
			bad("match: code %d is not an SMTP reply code (200-599)", c)
		}
		if c < 400 {
			r.success = true
		}
	}
	for _, c := range md.Classes {
		if c < 2 || c > 5 {
			bad("match: class %d is not 2, 3, 4 or 5", c)
		}
		if c < 4 {
			r.success = true
		}
	}
	for _, p := range md.Enhanced {
		sp, err := parseStatusPattern(p)
		if err != nil {
			bad("match: %v", err)
			continue
		}
		r.statuses = append(r.statuses, sp)
	}
	if md.NoEnhanced && len(md.Enhanced) > 0 {
		bad("match: no_enhanced contradicts enhanced")
	}
	for _, s := range md.Stages {
		st, _ := smtpx.ParseStage(s)
		if _, ok := sc.stages[st]; !ok || st.Key() != s {
			bad("match: unknown stage %q (use the canonical name)", s)
			continue
		}
		r.stages = append(r.stages, st)
	}
	for _, p := range md.Brackets {
		if err := r.brackets.add(p); err != nil {
			bad("match: bracket %q: %v", p, err)
		}
	}
	for _, t := range md.Text {
		if f := fold(t); f != "" {
			r.texts = append(r.texts, f)
		} else {
			bad("match: empty text")
		}
	}
	for _, p := range md.Regexp {
		re, err := regexp.Compile("(?i)" + p)
		if err != nil {
			bad("match: regexp %q: %v", p, err)
			continue
		}
		r.regexps = append(r.regexps, re)
	}
	if len(md.Codes)+len(md.Classes)+len(md.Enhanced)+len(md.Brackets)+len(md.Text)+len(md.Regexp) == 0 {
		bad("match: no condition (stages and no_enhanced alone match everything)")
	}
	return r, errs
}
