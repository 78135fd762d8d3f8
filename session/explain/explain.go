package explain

import (
	"slices"
	"strings"

	"github.com/mailcred/mailcred/scoring/smtpx"
)

// Explain says what reply r, received at stage, means. It never fails: a
// reply no entry knows gets the generic meaning of its code, and input that
// is not a reply at all (no code, garbage text) gets the fallback, as a
// deferral — RFC 5321 §3.8 has a client treat a reply-less failure as a 451.
// A stage the data does not describe (QUIT, none) rules nothing out.
func (kb *KB) Explain(r Reply, stage smtpx.Stage) Explanation {
	in := prepare(r)
	known := false
	if kb != nil {
		_, known = kb.stages[stage]
	}
	if known {
		in.stage = stage
	}
	ex := Explanation{
		Outcome:  outcome(in),
		Stage:    stage,
		Code:     in.code,
		Enhanced: in.statusText,
		Checks:   []string{},
	}
	if kb == nil {
		ex.Provider, ex.Category = genericProvider, "policy"
		ex.Meaning = "No knowledge base is loaded (explain.Load was not called or failed)."
		return ex
	}
	in.successLike = ex.Outcome == smtpx.Accepted
	e := kb.best(&in)
	if e.provider != genericProvider {
		ex.EntryID = e.id
	}
	ex.Provider, ex.Category = e.provider, e.category
	ex.Meaning, ex.Fix, ex.Link, ex.Source = e.meaning, e.fix, e.link, e.source
	var excludes []string
	if known {
		info := kb.stages[stage]
		excludes = info.excludes
		if ex.Outcome != smtpx.Accepted {
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

// ParseStage reads a stage as people write it — a stage's key or one of
// the aliases the data lists ("MAIL FROM", "greeting", "EOD"),
// case-insensitively — for text that did not come from a session.
func (kb *KB) ParseStage(name string) (smtpx.Stage, bool) {
	if st, ok := smtpx.ParseStage(name); ok {
		return st, true
	}
	if kb == nil {
		return smtpx.NoStage, false
	}
	st, ok := kb.aliases[stageKey(name)]
	return st, ok
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
	in := input{code: r.Code, text: normalise(r.Lines)}
	in.tokens = tokenize(in.text)
	first := ""
	if len(r.Lines) > 0 {
		first = strings.TrimLeft(r.Lines[0], " \t")
	}
	if in.code == 0 {
		in.code = parseCode(first)
	}
	given := strings.TrimSpace(r.Enhanced)
	if code, st, ok := cutEnhanced(given); ok && code == given {
		in.statusText, in.status, in.hasStatus = code, st, true
	} else if code, st, ok := cutEnhanced(stripCode(first)); ok {
		in.statusText, in.status, in.hasStatus = code, st, true
	}
	return in
}

// outcome classifies a reply by its basic code (RFC 5321 §4.2.1), then by
// its enhanced class (RFC 3463 §2); with neither it is a deferral.
func outcome(in input) smtpx.Outcome {
	o := smtpx.OutcomeOf(in.code)
	if o == smtpx.NoOutcome && in.hasStatus {
		o = smtpx.OutcomeOf(in.status.class * 100)
	}
	if o == smtpx.NoOutcome {
		return smtpx.Deferred
	}
	return o
}

// verb starts the RulesOut sentence.
func verb(outcome smtpx.Outcome) string {
	if outcome == smtpx.Deferred {
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
