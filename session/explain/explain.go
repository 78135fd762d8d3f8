package explain

import (
	"slices"
	"strings"
)

// Explain says what reply r, received at stage, means. It never fails: a
// reply no entry knows gets the generic meaning of its code, and input that
// is not a reply at all (no code, garbage text) gets the fallback, as a
// deferral — RFC 5321 §3.8 has a client treat a reply-less failure as a 451.
func (kb *KB) Explain(r Reply, stage Stage) Explanation {
	in := prepare(r)
	canonical, known := Stage(""), false
	if kb != nil {
		canonical, known = kb.aliases[stageKey(string(stage))]
	}
	in.stage = canonical
	ex := Explanation{
		Outcome:  outcome(in),
		Stage:    stage,
		Code:     in.code,
		Enhanced: in.statusText,
		Checks:   []string{},
	}
	if known {
		ex.Stage = canonical
	}
	if kb == nil {
		ex.Provider, ex.Category = genericProvider, "policy"
		ex.Meaning = "No knowledge base is loaded (explain.Load was not called or failed)."
		return ex
	}
	in.successLike = ex.Outcome == Accepted
	e := kb.best(&in)
	if e.provider != genericProvider {
		ex.EntryID = e.id
	}
	ex.Provider, ex.Category = e.provider, e.category
	ex.Meaning, ex.Fix, ex.Link, ex.Source = e.meaning, e.fix, e.link, e.source
	var excludes []string
	if known {
		info := kb.stages[canonical]
		excludes = info.excludes
		if ex.Outcome != Accepted {
			ex.RulesOut = verb(ex.Outcome) + " " + info.rulesOut
		}
	}
	for _, id := range e.checks {
		if !excluded(id, excludes) {
			ex.Checks = append(ex.Checks, id)
		}
	}
	return ex
}

// best returns the entry that matches in most specifically; on a tie the
// one listed first (files in name order) wins, so the choice is
// deterministic. With no match it returns the fallback.
func (kb *KB) best(in *input) *entry {
	var found *entry
	top := 0
	for i := range kb.entries {
		if s := kb.entries[i].rule.score(in); s > top {
			found, top = &kb.entries[i], s
		}
	}
	if found == nil {
		return &kb.fallback
	}
	return found
}

// prepare reads the codes of r (from its text when absent) and normalises
// its text for matching.
func prepare(r Reply) input {
	in := input{code: r.Code, text: normalise(r.Text)}
	in.tokens = tokenize(in.text)
	if in.code == 0 {
		in.code = parseCode(strings.TrimLeft(r.Text, " \t"))
	}
	given := strings.TrimSpace(r.Enhanced)
	if code, st, ok := cutEnhanced(given); ok && code == given {
		in.statusText, in.status, in.hasStatus = code, st, true
	} else if code, st, ok := cutEnhanced(stripCode(strings.TrimLeft(r.Text, " \t"))); ok {
		in.statusText, in.status, in.hasStatus = code, st, true
	}
	return in
}

// outcome classifies a reply by its basic code (RFC 5321 §4.2.1), then by
// its enhanced class (RFC 3463 §2); with neither it is a deferral.
func outcome(in input) string {
	class := 0
	if in.code >= 200 && in.code <= 599 {
		class = in.code / 100
	} else if in.hasStatus {
		class = in.status.class
	}
	switch class {
	case 2, 3:
		return Accepted
	case 5:
		return Rejected
	default:
		return Deferred
	}
}

// verb starts the RulesOut sentence.
func verb(outcome string) string {
	if outcome == Deferred {
		return "Deferred"
	}
	return "Refused"
}

// excluded reports whether check id is ruled out by the stage's excludes
// (ids, or prefixes ending in ".").
func excluded(id string, excludes []string) bool {
	return slices.ContainsFunc(excludes, func(x string) bool {
		return x == id || (strings.HasSuffix(x, ".") && strings.HasPrefix(id, x))
	})
}
