package explain

import (
	"fmt"
	"strconv"
	"strings"
)

// status is a parsed RFC 3463 enhanced status code: class.subject.detail.
type status struct {
	class, subject, detail int
}

// ParseEnhanced returns the RFC 3463 enhanced status code that starts text,
// after an optional basic reply code ("550 5.7.26 ..." or "5.7.26 ..."
// both give "5.7.26"), or "" if there is none. RFC 3463 §2: class is 2, 4 or
// 5; subject and detail are one to three digits each.
func ParseEnhanced(text string) string {
	s := stripCode(strings.TrimLeft(text, " \t"))
	code, _, ok := cutEnhanced(s)
	if !ok {
		return ""
	}
	return code
}

// cutEnhanced splits an enhanced status code off the start of s, returning
// it, its parsed form and whether there was one. The code must end the
// string or be followed by something other than a digit or ".digit" (so an
// IP address such as 5.7.1.2 is not taken for a status code).
func cutEnhanced(s string) (string, status, bool) {
	if len(s) < 5 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.' {
		return "", status{}, false
	}
	st := status{class: int(s[0] - '0')}
	i := 2
	subject, n := leadingDigits(s[i:])
	if n == 0 || n > 3 || i+n >= len(s) || s[i+n] != '.' {
		return "", status{}, false
	}
	i += n + 1
	detail, m := leadingDigits(s[i:])
	if m == 0 || m > 3 {
		return "", status{}, false
	}
	i += m
	if i < len(s) && s[i] == '.' && i+1 < len(s) && isDigit(s[i+1]) {
		return "", status{}, false
	}
	st.subject, st.detail = subject, detail
	return s[:i], st, true
}

// leadingDigits returns the value of the run of ASCII digits at the start
// of s (capped so that it cannot overflow) and the run's length.
func leadingDigits(s string) (int, int) {
	v, n := 0, 0
	for n < len(s) && isDigit(s[n]) {
		if v < 1_000_000 {
			v = v*10 + int(s[n]-'0')
		}
		n++
	}
	return v, n
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// parseCode returns the basic reply code that starts s (three digits, the
// first 2 to 5, followed by a space, a hyphen or the end), or 0.
func parseCode(s string) int {
	if !hasCode(s) {
		return 0
	}
	v, _ := leadingDigits(s[:3])
	return v
}

// hasCode reports whether s starts with a basic reply code.
func hasCode(s string) bool {
	if len(s) < 3 || s[0] < '2' || s[0] > '5' || !isDigit(s[1]) || !isDigit(s[2]) {
		return false
	}
	return len(s) == 3 || s[3] == ' ' || s[3] == '-'
}

// stripCode removes a leading basic reply code and its separator.
func stripCode(s string) string {
	if !hasCode(s) {
		return s
	}
	if len(s) == 3 {
		return ""
	}
	return strings.TrimLeft(s[4:], " \t")
}

// statusPattern is an enhanced-code condition of an entry: exact
// ("5.7.26"), a detail range ("5.7.606-649"), a subject wildcard ("5.7.*")
// or a class wildcard ("5.*.*").
type statusPattern struct {
	class       int
	subject     int // -1: any
	lo, hi      int // detail range; -1: any
	specificity int // score when it matches
}

// Scores of the enhanced-code patterns, from most to least specific.
const (
	scoreStatusExact   = 20
	scoreStatusRange   = 15
	scoreStatusSubject = 10
	scoreStatusClass   = 5
)

// parseStatusPattern parses one enhanced-code condition of the data file.
func parseStatusPattern(p string) (statusPattern, error) {
	parts := strings.Split(p, ".")
	if len(parts) != 3 {
		return statusPattern{}, fmt.Errorf("enhanced code %q: want class.subject.detail", p)
	}
	class, err := strconv.Atoi(parts[0])
	if err != nil || (class != 2 && class != 4 && class != 5) {
		return statusPattern{}, fmt.Errorf("enhanced code %q: class must be 2, 4 or 5", p)
	}
	sp := statusPattern{class: class, subject: -1, lo: -1, hi: -1}
	switch {
	case parts[1] == "*" && parts[2] == "*":
		sp.specificity = scoreStatusClass
		return sp, nil
	case parts[1] == "*":
		return statusPattern{}, fmt.Errorf("enhanced code %q: a wildcard subject needs a wildcard detail", p)
	}
	if sp.subject, err = number(parts[1]); err != nil {
		return statusPattern{}, fmt.Errorf("enhanced code %q: subject: %w", p, err)
	}
	if parts[2] == "*" {
		sp.specificity = scoreStatusSubject
		return sp, nil
	}
	lo, hi, isRange := strings.Cut(parts[2], "-")
	if sp.lo, err = number(lo); err != nil {
		return statusPattern{}, fmt.Errorf("enhanced code %q: detail: %w", p, err)
	}
	sp.hi, sp.specificity = sp.lo, scoreStatusExact
	if isRange {
		if sp.hi, err = number(hi); err != nil {
			return statusPattern{}, fmt.Errorf("enhanced code %q: detail range: %w", p, err)
		}
		if sp.hi <= sp.lo {
			return statusPattern{}, fmt.Errorf("enhanced code %q: empty detail range", p)
		}
		sp.specificity = scoreStatusRange
	}
	return sp, nil
}

// number parses one to three ASCII digits (RFC 3463 §2: 1*3digit).
func number(s string) (int, error) {
	v, n := leadingDigits(s)
	if n == 0 || n != len(s) || n > 3 {
		return 0, fmt.Errorf("%q is not 1 to 3 digits", s)
	}
	return v, nil
}

// match returns the pattern's score for st, or 0 if it does not match.
func (p statusPattern) match(st status) int {
	if st.class != p.class {
		return 0
	}
	if p.subject >= 0 && st.subject != p.subject {
		return 0
	}
	if p.lo >= 0 && (st.detail < p.lo || st.detail > p.hi) {
		return 0
	}
	return p.specificity
}
