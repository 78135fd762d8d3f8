package spf

import (
	"fmt"
	"strings"
)

// domainSpec is a parsed domain-spec: its text and macro tokens.
type domainSpec struct {
	text  string
	macro macroString
}

// parseDomainSpec checks s against
//
//	domain-spec = macro-string domain-end
//	domain-end  = ( "." toplabel [ "." ] ) / macro-expand
//
// (RFC 7208 §7.1). The check is on the text as written: a macro may expand
// to anything, and what it expands to is judged when it is used.
func parseDomainSpec(s string) (domainSpec, error) {
	if s == "" {
		return domainSpec{}, fmt.Errorf("the domain is empty")
	}
	m, err := parseMacroString(s, false)
	if err != nil {
		return domainSpec{}, err
	}
	if m.endsWithMacro() || endsWithEscape(s) {
		return domainSpec{text: s, macro: m}, nil
	}
	// The literal text after the last macro must hold "." toplabel ["."].
	tail := strings.TrimSuffix(m[len(m)-1].literal, ".")
	dot := strings.LastIndexByte(tail, '.')
	if dot < 0 {
		return domainSpec{}, fmt.Errorf("%q must end in a dot and a top-level label such as \".com\", or in a macro (RFC 7208 §7.1)", s)
	}
	if top := tail[dot+1:]; !isTopLabel(top) {
		return domainSpec{}, fmt.Errorf("%q: %q is not a valid top-level label (RFC 7208 §7.1: letters, digits and inner dashes, not all digits)", s, top)
	}
	return domainSpec{text: s, macro: m}, nil
}

// endsWithEscape reports whether s ends in "%%", "%_" or "%-" (a
// macro-expand in the ABNF, though it expands to a literal).
func endsWithEscape(s string) bool {
	n := 0 // count the run of '%' before the last byte
	if len(s) < 2 {
		return false
	}
	last := s[len(s)-1]
	for i := len(s) - 2; i >= 0 && s[i] == '%'; i-- {
		n++
	}
	switch last {
	case '_', '-':
		return n%2 == 1
	case '%':
		// "...%%": the run including the last byte must be even.
		return (n+1)%2 == 0
	}
	return false
}

// isTopLabel implements
//
//	toplabel = ( *alphanum ALPHA *alphanum ) /
//	           ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
func isTopLabel(s string) bool {
	if s == "" {
		return false
	}
	alpha, dash := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			alpha = true
		case c >= '0' && c <= '9':
		case c == '-':
			if i == 0 || i == len(s)-1 {
				return false
			}
			dash = true
		default:
			return false
		}
	}
	return alpha || dash
}

// maxNameLen is the longest domain name in text form (RFC 7208 §7.3,
// RFC 1035 §2.3.4 less the final dot and length octets).
const maxNameLen = 253

// targetName turns an expanded domain-spec into the name to query: the
// final dot dropped (§7.3 example, "trailing dot is ignored") and, if
// longer than 253 characters, labels removed from the left until it fits
// (RFC 7208 §7.3). ok is false if no DNS query can be made from it (an
// empty label, a label over 63 octets): RFC 7208 leaves that undefined and
// we treat the name as non-existent, as §4.3 does for <domain>.
func targetName(expanded string) (name string, ok bool) {
	name = strings.TrimSuffix(expanded, ".")
	for len(name) > maxNameLen {
		i := strings.IndexByte(name, '.')
		if i < 0 {
			return name, false
		}
		name = name[i+1:]
	}
	return name, validName(name)
}

// validName reports whether name can be sent as a DNS question: non-empty
// labels of at most 63 octets, at most 253 octets in all.
func validName(name string) bool {
	if name == "" || len(name) > maxNameLen {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
	}
	return true
}

// checkDomain validates the <domain> argument of check_host() (RFC 7208
// §4.3): a malformed name, a name that is not multi-label, or an address
// literal gives "none".
func checkDomain(domain string) (string, error) {
	d := strings.TrimSuffix(domain, ".")
	if strings.HasPrefix(d, "[") {
		return "", fmt.Errorf("%q is an address literal, not a domain (RFC 7208 §4.3)", domain)
	}
	for i := 0; i < len(d); i++ {
		if d[i] >= 0x80 {
			return "", fmt.Errorf("%q is not ASCII: an internationalised domain must be checked in its A-label (xn--) form (RFC 7208 §4.3, RFC 5890)", domain)
		}
		if d[i] <= ' ' || d[i] == 0x7f {
			return "", fmt.Errorf("%q contains a character that cannot be in a domain (RFC 7208 §4.3)", domain)
		}
	}
	if !validName(d) {
		return "", fmt.Errorf("%q is not a valid domain name: empty label or a label over 63 characters (RFC 7208 §4.3)", domain)
	}
	if !strings.Contains(d, ".") {
		return "", fmt.Errorf("%q is not a fully qualified (multi-label) domain (RFC 7208 §4.3)", domain)
	}
	return strings.ToLower(d), nil
}

// queryName escapes a name for dnsx, which hands names to miekg/dns in
// presentation form: a backslash in a label must be doubled or it would be
// read as an escape. Names read from DNS answers are already in that form.
func queryName(name string) string {
	return strings.ReplaceAll(name, `\`, `\\`)
}

// isSubdomain reports whether name is domain or below it, ignoring case
// and a final dot (RFC 7208 §5.5).
func isSubdomain(name, domain string) bool {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	return name == domain || strings.HasSuffix(name, "."+domain)
}
