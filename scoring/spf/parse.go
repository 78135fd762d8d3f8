package spf

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Qualifier is the result a directive gives when its mechanism matches
// (RFC 7208 §4.6.2).
type Qualifier byte

// The qualifiers; "+" is the default when none is written.
const (
	QPass     Qualifier = '+'
	QFail     Qualifier = '-'
	QSoftFail Qualifier = '~'
	QNeutral  Qualifier = '?'
)

// Result is the result of the qualifier.
func (q Qualifier) Result() Result {
	switch q {
	case QFail:
		return Fail
	case QSoftFail:
		return SoftFail
	case QNeutral:
		return Neutral
	}
	return Pass
}

// The mechanisms of RFC 7208 §5.
const (
	MechAll     = "all"
	MechInclude = "include"
	MechA       = "a"
	MechMX      = "mx"
	MechPTR     = "ptr"
	MechIP4     = "ip4"
	MechIP6     = "ip6"
	MechExists  = "exists"
)

// Directive is a qualifier and a mechanism (RFC 7208 §4.6.1).
type Directive struct {
	Qualifier Qualifier
	Mechanism string // lower case, one of the Mech constants
	// Domain is the domain-spec as written; empty means <domain> (a, mx,
	// ptr) or not applicable.
	Domain string
	// Net is the network of ip4 and ip6.
	Net netip.Prefix
	// CIDR4 and CIDR6 are the prefix lengths of a and mx (dual-cidr-length,
	// RFC 7208 §5.6); 32 and 128 when not written.
	CIDR4, CIDR6 int
	// Text is the term as written in the record.
	Text string

	domain domainSpec
}

// Lookup reports whether the mechanism queries DNS and so counts towards
// the limit of 10 (RFC 7208 §4.6.4).
func (d *Directive) Lookup() bool {
	switch d.Mechanism {
	case MechInclude, MechA, MechMX, MechPTR, MechExists:
		return true
	}
	return false
}

// Modifier is a name=value term (RFC 7208 §6).
type Modifier struct {
	Name  string // lower case
	Value string // domain-spec (redirect, exp) or macro-string
	Text  string // the term as written

	domain domainSpec
}

// Record is a parsed SPF record.
type Record struct {
	// Text is the record as published (the character-strings joined).
	Text string
	// Directives in the order they are evaluated.
	Directives []Directive
	// Modifiers in the order written, unknown ones included.
	Modifiers []Modifier
	// Redirect and Exp point into Modifiers, or are nil.
	Redirect *Modifier
	Exp      *Modifier
}

// All returns the record's "all" directive, or nil.
func (r *Record) All() *Directive {
	for i := range r.Directives {
		if r.Directives[i].Mechanism == MechAll {
			return &r.Directives[i]
		}
	}
	return nil
}

// LookupTerms counts the record's own terms that query DNS (RFC 7208
// §4.6.4), the redirect included when it can take effect.
func (r *Record) LookupTerms() int {
	n := 0
	for i := range r.Directives {
		if r.Directives[i].Lookup() {
			n++
		}
	}
	if r.Redirect != nil && r.All() == nil {
		n++
	}
	return n
}

// ParseError names the term of a record that does not follow RFC 7208.
type ParseError struct {
	Term   string // the offending term as written; empty for the record as a whole
	Reason string
}

// Error names the term and says what is wrong with it.
func (e *ParseError) Error() string {
	if e.Term == "" {
		return "spf: " + e.Reason
	}
	return fmt.Sprintf("spf: term %q: %s", e.Term, e.Reason)
}

// ErrNotSPF is returned by Parse for text that is not an SPF record at all
// (it does not start with "v=spf1" and a space, RFC 7208 §4.5).
var ErrNotSPF = errors.New(`spf: not an SPF record (must start with "v=spf1" followed by a space or the end)`)

// IsSPF reports whether a TXT record is an SPF version 1 record: it starts
// with "v=spf1", case-insensitively, followed by a space or the end
// (RFC 7208 §4.5).
func IsSPF(txt string) bool {
	const v = "v=spf1"
	if len(txt) < len(v) || !strings.EqualFold(txt[:len(v)], v) {
		return false
	}
	return len(txt) == len(v) || txt[len(v)] == ' '
}

// Parse checks record against the ABNF of RFC 7208 §12 and returns it
// parsed. Every term is checked, even those after "all" (RFC 7208 §4.6:
// syntax errors anywhere in the record are errors). The error is a
// *ParseError naming the bad term, or ErrNotSPF.
func Parse(record string) (*Record, error) {
	if !IsSPF(record) {
		return nil, ErrNotSPF
	}
	rec := &Record{Text: record}
	// terms = *( 1*SP ( directive / modifier ) ), record = version terms *SP:
	// terms are separated by spaces only (§4.6.1), any number of them.
	for _, term := range strings.Split(record[len("v=spf1"):], " ") {
		if term == "" {
			continue
		}
		if err := rec.addTerm(term); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

func (rec *Record) addTerm(term string) error {
	bad := func(format string, args ...any) error {
		return &ParseError{Term: term, Reason: fmt.Sprintf(format, args...)}
	}
	for i := 0; i < len(term); i++ {
		if term[i] < 0x21 || term[i] > 0x7e {
			return bad("character %q is not allowed: records are 7-bit ASCII and terms are separated by spaces only (RFC 7208 §3.1, §4.6.1)", rune(term[i]))
		}
	}
	// A modifier has "=" right after its name, before any ":" or "/"
	// (RFC 7208 §4.6.1).
	if eq := strings.IndexByte(term, '='); eq >= 0 && !strings.ContainsAny(term[:eq], ":/") {
		return rec.addModifier(term, term[:eq], term[eq+1:])
	}
	d := Directive{Qualifier: QPass, Text: term, CIDR4: 32, CIDR6: 128}
	rest := term
	switch rest[0] {
	case '+', '-', '~', '?':
		d.Qualifier = Qualifier(rest[0])
		rest = rest[1:]
	}
	end := strings.IndexAny(rest, ":/")
	if end < 0 {
		end = len(rest)
	}
	d.Mechanism, rest = strings.ToLower(rest[:end]), rest[end:]
	var err error
	switch d.Mechanism {
	case MechAll:
		if rest != "" {
			return bad(`"all" takes no argument (RFC 7208 §5.1)`)
		}
	case MechInclude, MechExists:
		if !strings.HasPrefix(rest, ":") {
			return bad("%q needs a domain: %s:domain (RFC 7208 §5.2, §5.7)", d.Mechanism, d.Mechanism)
		}
		d.Domain = rest[1:]
		if d.domain, err = parseDomainSpec(d.Domain); err != nil {
			return bad("%v", err)
		}
	case MechA, MechMX:
		dom, c4, c6 := splitDualCIDR(rest)
		if dom != "" {
			if !strings.HasPrefix(dom, ":") {
				return bad("expected \":domain\" or a CIDR length like /24 after %q (RFC 7208 §5.3, §5.4)", d.Mechanism)
			}
			d.Domain = dom[1:]
			if d.domain, err = parseDomainSpec(d.Domain); err != nil {
				return bad("%v", err)
			}
		}
		if c4 != "" {
			if d.CIDR4, err = parseCIDR(c4, 32); err != nil {
				return bad("%v", err)
			}
		}
		if c6 != "" {
			if d.CIDR6, err = parseCIDR(c6, 128); err != nil {
				return bad("%v", err)
			}
		}
	case MechPTR:
		if rest != "" {
			if !strings.HasPrefix(rest, ":") {
				return bad(`"ptr" takes no CIDR length (RFC 7208 §5.5)`)
			}
			d.Domain = rest[1:]
			if d.domain, err = parseDomainSpec(d.Domain); err != nil {
				return bad("%v", err)
			}
		}
	case MechIP4, MechIP6:
		if d.Net, err = parseNetwork(d.Mechanism, rest); err != nil {
			return bad("%v", err)
		}
	case "":
		return bad("a qualifier without a mechanism")
	default:
		return bad("unknown mechanism %q (RFC 7208 §5)", d.Mechanism)
	}
	rec.Directives = append(rec.Directives, d)
	return nil
}

func (rec *Record) addModifier(term, name, value string) error {
	bad := func(format string, args ...any) error {
		return &ParseError{Term: term, Reason: fmt.Sprintf(format, args...)}
	}
	// name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
	if name == "" {
		return bad("modifier without a name (RFC 7208 §6)")
	}
	for i := 0; i < len(name); i++ {
		c := name[i] | 0x20
		if c >= 'a' && c <= 'z' || i > 0 && (name[i] >= '0' && name[i] <= '9' || strings.IndexByte("-_.", name[i]) >= 0) {
			continue
		}
		return bad("%q is not a valid modifier name: a letter, then letters, digits, -, _ or . (RFC 7208 §12)", name)
	}
	m := Modifier{Name: strings.ToLower(name), Value: value, Text: term}
	var err error
	switch m.Name {
	case "redirect", "exp":
		if (m.Name == "redirect" && rec.Redirect != nil) || (m.Name == "exp" && rec.Exp != nil) {
			return bad("%q appears more than once (RFC 7208 §6)", m.Name)
		}
		if m.domain, err = parseDomainSpec(value); err != nil {
			return bad("%v", err)
		}
	default:
		// unknown-modifier = name "=" macro-string: ignored, but its macro
		// syntax must be valid (RFC 7208 §6, §12).
		if _, err = parseMacroString(value, true); err != nil {
			return bad("%v", err)
		}
	}
	rec.Modifiers = append(rec.Modifiers, m)
	// Re-point Redirect and Exp: append may have moved the slice.
	rec.Redirect, rec.Exp = nil, nil
	for i := range rec.Modifiers {
		switch rec.Modifiers[i].Name {
		case "redirect":
			rec.Redirect = &rec.Modifiers[i]
		case "exp":
			rec.Exp = &rec.Modifiers[i]
		}
	}
	return nil
}

// splitDualCIDR splits "[:domain][/n][//m]" from the end: the CIDR
// lengths are recognised only as a suffix of digits (RFC 7208 §5.6), so a
// "/" inside a domain-spec stays part of it.
func splitDualCIDR(s string) (rest, c4, c6 string) {
	digitsBefore := func(s string) int {
		j := len(s)
		for j > 0 && s[j-1] >= '0' && s[j-1] <= '9' {
			j--
		}
		return j
	}
	if j := digitsBefore(s); j < len(s) && j >= 2 && s[j-1] == '/' && s[j-2] == '/' {
		c6, s = s[j:], s[:j-2]
	}
	if j := digitsBefore(s); j < len(s) && j >= 1 && s[j-1] == '/' && !(j >= 2 && s[j-2] == '/') {
		c4, s = s[j:], s[:j-1]
	}
	return s, c4, c6
}

// parseCIDR reads a prefix length: no leading zeros, at most max
// (RFC 7208 §5.6: ip4-cidr-length 0-32, ip6-cidr-length 0-128).
func parseCIDR(s string, max int) (int, error) {
	digits := s != "" && strings.Trim(s, "0123456789") == ""
	if !digits || len(s) > 3 || (len(s) > 1 && s[0] == '0') {
		return 0, fmt.Errorf("invalid CIDR length /%s: digits without leading zeros (RFC 7208 §5.6)", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil || n > max {
		return 0, fmt.Errorf("CIDR length /%s is out of range 0-%d (RFC 7208 §5.6)", s, max)
	}
	return n, nil
}

// parseNetwork reads ":network[/len]" of ip4 and ip6 (RFC 7208 §5.6).
func parseNetwork(mech, rest string) (netip.Prefix, error) {
	if !strings.HasPrefix(rest, ":") || len(rest) == 1 {
		return netip.Prefix{}, fmt.Errorf("%q needs an address: %s:address[/len] (RFC 7208 §5.6)", mech, mech)
	}
	addr, length := rest[1:], ""
	if i := strings.IndexByte(addr, '/'); i >= 0 {
		addr, length = addr[:i], addr[i+1:]
		if length == "" {
			return netip.Prefix{}, fmt.Errorf("empty CIDR length (RFC 7208 §5.6)")
		}
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil || ip.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("%q is not an %s address (RFC 7208 §5.6)", addr, map[string]string{MechIP4: "IPv4", MechIP6: "IPv6"}[mech])
	}
	bits := 32
	if mech == MechIP6 {
		bits = 128
	}
	if (mech == MechIP4) != ip.Is4() {
		return netip.Prefix{}, fmt.Errorf("%q is not an %s address (RFC 7208 §5.6)", addr, map[string]string{MechIP4: "IPv4", MechIP6: "IPv6"}[mech])
	}
	if length != "" {
		if bits, err = parseCIDR(length, bits); err != nil {
			return netip.Prefix{}, err
		}
	}
	return netip.PrefixFrom(ip, bits).Masked(), nil
}
