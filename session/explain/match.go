package explain

import (
	"regexp"
	"strings"

	"github.com/mailcred/mailcred/scoring/smtpx"
)

// maxMatchText caps how much of a reply's text is matched: a reply line is
// at most 512 octets (RFC 5321 §4.5.3.1.5) and real replies are a few
// lines; a hostile server may send megabytes.
const maxMatchText = 16 << 10

// Scores of the other conditions. A bracket code (S3140, TSS04) outranks
// any wording, wording outranks any enhanced code, an enhanced code
// outranks the basic code: the most specific entry wins.
const (
	scoreBracket = 1000
	scoreText    = 100
	scoreCode    = 3
	scoreClass   = 1
	scoreStage   = 1
)

// input is a reply prepared for matching.
type input struct {
	code        int
	status      status
	statusText  string
	hasStatus   bool
	stage       smtpx.Stage // canonical, or "" when unknown
	text        string
	tokens      map[string]bool // the words of text, for bracket codes
	successLike bool            // outcome is Accepted
}

// rule is an entry's compiled match conditions. Every condition present
// must hold; within one condition, any of the listed values will do.
type rule struct {
	codes      []int
	classes    []int
	statuses   []statusPattern
	noEnhanced bool
	stages     []smtpx.Stage
	brackets   bracketSet
	texts      []string
	regexps    []*regexp.Regexp
	// success is true when the rule can match a 2yz/3yz reply: only rules
	// that list such a code or class do, so that a provider's bracket code
	// quoted in a "250 OK" never turns it into a refusal.
	success bool
}

// score returns how specifically r matches in, or 0 if it does not.
func (r *rule) score(in *input) int {
	if in.successLike && !r.success {
		return 0
	}
	total := 0
	if len(r.codes) > 0 {
		if !containsInt(r.codes, in.code) {
			return 0
		}
		total += scoreCode
	}
	if len(r.classes) > 0 {
		if !containsInt(r.classes, in.code/100) {
			return 0
		}
		total += scoreClass
	}
	if r.noEnhanced && in.hasStatus {
		return 0
	}
	if len(r.statuses) > 0 {
		best := 0
		if in.hasStatus {
			for _, p := range r.statuses {
				best = max(best, p.match(in.status))
			}
		}
		if best == 0 {
			return 0
		}
		total += best
	}
	if len(r.stages) > 0 {
		if !containsStage(r.stages, in.stage) {
			return 0
		}
		total += scoreStage
	}
	if !r.brackets.empty() {
		if !r.brackets.match(in.tokens) {
			return 0
		}
		total += scoreBracket
	}
	if len(r.texts) > 0 {
		if !anySubstring(r.texts, in.text) {
			return 0
		}
		total += scoreText
	}
	if len(r.regexps) > 0 {
		if !anyRegexp(r.regexps, in.text) {
			return 0
		}
		total += scoreText
	}
	return total
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func containsStage(list []smtpx.Stage, v smtpx.Stage) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func anySubstring(list []string, text string) bool {
	for _, s := range list {
		if strings.Contains(text, s) {
			return true
		}
	}
	return false
}

func anyRegexp(list []*regexp.Regexp, text string) bool {
	for _, re := range list {
		if re.MatchString(text) {
			return true
		}
	}
	return false
}

// bracketSet is the bracket-code condition of an entry. A bracket code is
// matched against whole tokens of the reply — runs of letters, digits, "_"
// and "-" — so "(S3140)", "[TSS04]", "#BL000001", "AUP#CXDNS" and
// "OFR006_102" match, but never a code inside a longer word, nor "BL23" in
// a link such as "550-bl23.html". A literal code is a set lookup; a pattern
// (RL[0-9]{3,6}) must match a whole token.
type bracketSet struct {
	literals map[string]bool
	patterns []*regexp.Regexp
}

// literalBracket is the shape of a bracket code needing no regexp.
var literalBracket = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// add compiles one bracket code or pattern into the set.
func (b *bracketSet) add(p string) error {
	if literalBracket.MatchString(p) {
		if b.literals == nil {
			b.literals = map[string]bool{}
		}
		b.literals[strings.ToLower(p)] = true
		return nil
	}
	re, err := regexp.Compile(`^(?i:` + p + `)$`)
	if err != nil {
		return err
	}
	b.patterns = append(b.patterns, re)
	return nil
}

func (b *bracketSet) empty() bool { return len(b.literals) == 0 && len(b.patterns) == 0 }

// match reports whether any token is one of the set's codes.
func (b *bracketSet) match(tokens map[string]bool) bool {
	for lit := range b.literals {
		if tokens[lit] {
			return true
		}
	}
	for _, re := range b.patterns {
		for tok := range tokens {
			if re.MatchString(tok) {
				return true
			}
		}
	}
	return false
}

// tokenize returns the set of tokens of a normalised text (see bracketSet).
func tokenize(text string) map[string]bool {
	set := map[string]bool{}
	for _, tok := range strings.FieldsFunc(text, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' && r != '-'
	}) {
		set[tok] = true
	}
	return set
}

// normalise prepares a reply's text for matching: each line loses its
// "550-" and "5.7.26 " prefixes, the lines are joined with single spaces,
// the text is lower-cased and typographic apostrophes become ASCII, so
// that a phrase wrapped across Gmail's continuation lines still matches.
func normalise(lines []string) string {
	var b strings.Builder
	for _, line := range lines {
		if b.Len() >= maxMatchText {
			break
		}
		if room := maxMatchText - b.Len(); len(line) > room {
			line = line[:room]
		}
		line = stripCode(strings.TrimSpace(line))
		if code, _, ok := cutEnhanced(line); ok {
			line = line[len(code):]
		}
		b.WriteString(line)
		b.WriteByte(' ')
	}
	return fold(b.String())
}

// apostrophes maps typographic quotes to ASCII ones. A Replacer is
// read-only once built and safe for concurrent use.
var apostrophes = strings.NewReplacer("\u2019", "'", "\u2018", "'")

// fold lower-cases s, makes its apostrophes ASCII and collapses white space;
// the data file's phrases get the same treatment.
func fold(s string) string {
	return strings.Join(strings.Fields(apostrophes.Replace(strings.ToLower(s))), " ")
}
