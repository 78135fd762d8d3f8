package dmarc

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// The errors Parse returns, to be tested with errors.Is.
var (
	// ErrNotDMARC: the text does not start with v=DMARC1, exactly. Such a
	// TXT record is not a DMARC record at all and is discarded in
	// discovery (RFC 9989 §4.10 step 2).
	ErrNotDMARC = errors.New("not a DMARC record")
	// ErrSyntax: a DMARC record that is invalid as a whole (a duplicated
	// tag, RFC 6376 §3.2, whose tag-value syntax RFC 9989 §4.7 adopts).
	// Evaluation reports permerror.
	ErrSyntax = errors.New("invalid DMARC record")
	// ErrNoPolicy: neither a valid p= nor a valid rua=; receivers apply no
	// DMARC processing (RFC 9989 §4.10.1). A third-party report
	// authorization record needs no policy and may give this.
	ErrNoPolicy = errors.New("DMARC record without a usable policy")
)

// Parse reads one DMARC record (TXT character-strings already joined,
// as RFC 9989 requires). It never stops at the first problem: the findings list
// every one of them — unknown, duplicated, empty and malformed tags, bad
// values, tags RFC 9989 removed, a missing p= — in record order.
//
// The error is nil when the record is usable. It wraps ErrNotDMARC (the
// record is nil then), ErrSyntax or ErrNoPolicy; in the last two cases the
// record is returned too, with what could be read, for the linter.
func Parse(txt string) (*Record, []Finding, error) {
	p := &parser{
		rec:     &Record{Raw: txt, Version: "DMARC1", ADKIM: Relaxed, ASPF: Relaxed, FO: []string{"0"}},
		seen:    map[string]bool{"v": true},
		invalid: map[string]bool{},
	}
	segs := strings.Split(txt, ";")
	if err := p.version(segs[0]); err != nil {
		return nil, p.findings, err
	}
	for i, seg := range segs[1:] {
		p.segment(seg, i, i == len(segs)-2)
	}
	return p.finish()
}

// parser holds one Parse call's state: the record so far and what was
// found wrong with it.
type parser struct {
	rec      *Record
	findings []Finding
	seen     map[string]bool // tag names met, lower case
	invalid  map[string]bool // tags whose value was invalid
	fatal    []string        // duplicated tag names
	ruaValid bool
}

func (p *parser) add(sev, tag, format string, args ...any) *Finding {
	p.findings = append(p.findings, Finding{Severity: sev, Tag: tag, Message: fmt.Sprintf(format, args...)})
	return &p.findings[len(p.findings)-1]
}

// version checks the first tag: "v" equals "DMARC1", the value compared
// case-sensitively (RFC 9989 §4.7, v, and its dmarc-version ABNF).
func (p *parser) version(first string) error {
	s := trimWSP(first)
	if s == "" {
		p.add(SevError, "v", "the record is empty; a DMARC record starts with v=DMARC1")
		return fmt.Errorf("%w: empty", ErrNotDMARC)
	}
	name, value, ok := strings.Cut(s, "=")
	name, value = trimWSP(name), trimWSP(value)
	switch {
	case !ok || !strings.EqualFold(name, "v"):
		p.add(SevError, "v", "the record does not start with v=DMARC1")
		return fmt.Errorf("%w: does not start with v=", ErrNotDMARC)
	case value == "DMARC1":
	case strings.EqualFold(value, "DMARC1"):
		p.add(SevError, "v", "v=%s: the version must be exactly DMARC1 (upper case); receivers ignore this record", value)
		return fmt.Errorf("%w: version %q", ErrNotDMARC, value)
	case strings.HasPrefix(value, "DMARC1") && strings.ContainsAny(value, " \t"):
		p.add(SevError, "v", "v=%s: a \";\" is missing after v=DMARC1; receivers ignore this record", value)
		return fmt.Errorf("%w: version %q", ErrNotDMARC, value)
	default:
		p.add(SevError, "v", "v=%s: the version must be exactly DMARC1; receivers ignore this record", value)
		return fmt.Errorf("%w: version %q", ErrNotDMARC, value)
	}
	if first != strings.TrimLeft(first, " \t") {
		f := p.add(SevWarn, "v", "whitespace before v=DMARC1: the record must start with it; strict receivers ignore this record")
		f.RFC7489Invalid = true
	}
	return nil
}

// segment handles one ";"-separated piece after the version. RFC 9989 §4.7:
// "Syntax errors in the remainder of the record MUST be discarded in favor
// of default values (if any) or ignored outright" — so each problem here is
// a finding, and only a duplicated tag invalidates the record.
func (p *parser) segment(seg string, index int, last bool) {
	s := trimWSP(seg)
	if s == "" {
		if !last { // one trailing ";" is allowed by the grammar
			f := p.add(SevWarn, "", "empty tag (\";;\") ignored")
			f.RFC7489Invalid = true
		}
		return
	}
	name, value, ok := strings.Cut(s, "=")
	if !ok {
		f := p.add(SevWarn, "", "%q is not a tag=value pair and is ignored", s)
		f.RFC7489Invalid = true
		return
	}
	name, value = trimWSP(name), trimWSP(value)
	if !isAlpha(name) {
		f := p.add(SevWarn, "", "%q is not a valid tag name (letters only); ignored", name)
		f.RFC7489Invalid = true
		return
	}
	tag := strings.ToLower(name)
	if p.seen[tag] {
		p.add(SevError, tag, "%s= appears more than once; the whole record is invalid (RFC 6376 §3.2 tag-list)", tag)
		p.fatal = append(p.fatal, tag)
		return
	}
	p.seen[tag] = true
	p.rec.Tags = append(p.rec.Tags, Tag{Name: tag, Value: value})
	if tag == "p" && index > 0 {
		f := p.add(SevWarn, "p", "p= is not directly after v=DMARC1: RFC 9989 allows any order, but RFC 7489's grammar (§6.4) does not and strict receivers reject the record")
		f.RFC7489Invalid = true
	}
	p.value(tag, value)
}

// value interprets one known tag (RFC 9989 §4.7 and its ABNF; RFC 7489 §6.3 for
// the removed pct, rf and ri).
func (p *parser) value(tag, value string) {
	lv := strings.ToLower(value)
	switch tag {
	case "p", "sp", "np":
		switch pol := Policy(lv); pol {
		case PolicyNone, PolicyQuarantine, PolicyReject:
			p.setPolicy(tag, pol)
		default:
			p.invalid[tag] = true
			p.add(SevError, tag, "%s=%q is not none, quarantine or reject", tag, value)
		}
	case "adkim", "aspf":
		if lv != "r" && lv != "s" {
			p.invalid[tag] = true
			p.add(SevError, tag, "%s=%q is not r or s; relaxed alignment applies", tag, value)
			return
		}
		if tag == "adkim" {
			p.rec.ADKIM = AlignMode(lv)
		} else {
			p.rec.ASPF = AlignMode(lv)
		}
	case "fo":
		p.failureOptions(value)
	case "rua", "ruf":
		p.uriList(tag, value)
	case "psd":
		if lv != "y" && lv != "n" && lv != "u" {
			p.invalid[tag] = true
			p.add(SevError, tag, "psd=%q is not y, n or u; u applies", value)
			return
		}
		p.rec.PSD = lv
	case "t":
		if lv != "y" && lv != "n" {
			p.invalid[tag] = true
			p.add(SevError, tag, "t=%q is not y or n; n applies (the policy is not in test mode)", value)
			return
		}
		p.rec.T = lv == "y"
	case "pct":
		p.percent(value)
	case "rf":
		p.reportFormats(value)
	case "ri":
		p.interval(value)
	default:
		p.add(SevWarn, tag, "unknown tag %s= ignored (RFC 9989 §4.7: unknown tags MUST be ignored)", tag)
	}
}

func (p *parser) setPolicy(tag string, pol Policy) {
	switch tag {
	case "p":
		p.rec.P = pol
	case "sp":
		p.rec.SP = pol
	case "np":
		p.rec.NP = pol
	}
}

// failureOptions reads fo=: RFC 7489 §6.3 allows a colon-separated list of
// 0, 1, d and s, which is a superset of RFC 9989's dmarc-fo.
func (p *parser) failureOptions(value string) {
	var opts []string
	for _, o := range strings.Split(value, ":") {
		o = strings.ToLower(trimWSP(o))
		if o != "0" && o != "1" && o != "d" && o != "s" {
			p.invalid["fo"] = true
			p.add(SevError, "fo", "fo=%q: options are 0, 1, d and s separated by \":\"; 0 applies", value)
			return
		}
		opts = append(opts, o)
	}
	p.rec.FO = opts
}

func (p *parser) uriList(tag, value string) {
	if value == "" {
		p.invalid[tag] = true
		p.add(SevError, tag, "%s= is empty", tag)
		return
	}
	var uris []URI
	for _, raw := range strings.Split(value, ",") {
		raw = trimWSP(raw)
		u, err := parseURI(raw)
		if err != nil {
			p.invalid[tag] = true
			p.add(SevError, tag, "%s URI %q: %v; it is ignored", tag, raw, err)
			continue
		}
		if u.MaxSize != "" {
			p.add(SevInfo, tag, "%s URI %q: the \"!%s\" size limit is RFC 7489 syntax that RFC 9989 receivers ignore", tag, raw, u.MaxSize)
		}
		if u.Scheme != "mailto" {
			p.add(SevWarn, tag, "%s URI %q: receivers are only required to support mailto: (RFC 9989 §4.7)", tag, raw)
		}
		uris = append(uris, u)
	}
	if tag == "rua" {
		p.rec.RUA = uris
		p.ruaValid = len(uris) > 0
	} else {
		p.rec.RUF = uris
	}
}

// percent reads pct= (RFC 7489 §6.3: 1*3DIGIT, 0 to 100).
func (p *parser) percent(value string) {
	n, err := strconv.Atoi(value)
	if err != nil || !isDigits(value) || len(value) > 3 || n > 100 {
		p.invalid["pct"] = true
		f := p.add(SevWarn, "pct", "pct=%q is not a number from 0 to 100; pct is removed in RFC 9989 anyway, drop it", value)
		f.RFC7489Invalid = true
		return
	}
	p.rec.PCT = &n
	if n < 100 {
		p.add(SevWarn, "pct", "pct=%d is removed in RFC 9989 and ignored by its receivers, which apply the policy to all failing mail; RFC 7489 receivers apply it to %d%% only (use t=y to test a policy)", n, n)
	} else {
		p.add(SevInfo, "pct", "pct=100 is the old default and removed in RFC 9989; drop it")
	}
}

// reportFormats reads rf= (RFC 7489 §6.3: Keywords separated by ":").
func (p *parser) reportFormats(value string) {
	var formats []string
	for _, f := range strings.Split(value, ":") {
		f = strings.ToLower(trimWSP(f))
		if !isKeyword(f) {
			p.invalid["rf"] = true
			fi := p.add(SevWarn, "rf", "rf=%q is not a list of report format keywords; rf is removed in RFC 9989 anyway, drop it", value)
			fi.RFC7489Invalid = true
			return
		}
		formats = append(formats, f)
	}
	p.rec.RF = formats
	p.add(SevInfo, "rf", "rf= is removed in RFC 9989 (failure reports are always AFRF); drop it")
}

// interval reads ri= (RFC 7489 §6.3: 1*DIGIT, a 32-bit unsigned count of seconds).
func (p *parser) interval(value string) {
	n, err := strconv.ParseUint(value, 10, 32)
	if err != nil || !isDigits(value) {
		p.invalid["ri"] = true
		f := p.add(SevWarn, "ri", "ri=%q is not a number of seconds; ri is removed in RFC 9989 anyway, drop it", value)
		f.RFC7489Invalid = true
		return
	}
	ri := uint32(n)
	p.rec.RI = &ri
	p.add(SevInfo, "ri", "ri= is removed in RFC 9989 (reports are daily); drop it")
}

// finish applies RFC 9989 §4.10.1: without a valid p= (or with an invalid
// sp= or np=) a record with a valid rua= acts as p=none; without either,
// no DMARC processing happens.
func (p *parser) finish() (*Record, []Finding, error) {
	r := p.rec
	if len(p.fatal) > 0 {
		return r, p.findings, fmt.Errorf("%w: duplicate tag %s=", ErrSyntax, p.fatal[0])
	}
	if !p.seen["p"] && !p.invalid["sp"] && !p.invalid["np"] {
		if !p.ruaValid {
			p.add(SevError, "p", "no p= and no valid rua=: receivers apply no DMARC processing (RFC 9989 §4.10.1)")
			return r, p.findings, fmt.Errorf("%w: no p= and no valid rua=", ErrNoPolicy)
		}
		// RFC 9989 §4.7 (p): treated as if it included p=none.
		r.P, r.ImpliedNone = PolicyNone, true
		p.add(SevWarn, "p", "no p= tag: receivers treat the record as p=none (RFC 9989 §4.7, §4.10.1); say p=none explicitly, RFC 7489 requires it")
	} else if p.invalid["p"] || p.invalid["sp"] || p.invalid["np"] {
		bad := firstOf(p.invalid, "p", "sp", "np")
		if !p.ruaValid {
			p.add(SevError, bad, "invalid %s= and no valid rua=: receivers apply no DMARC processing (RFC 9989 §4.10.1)", bad)
			return r, p.findings, fmt.Errorf("%w: invalid %s= and no valid rua=", ErrNoPolicy, bad)
		}
		// RFC 9989 §4.10.1: act as if a record containing p=none was retrieved.
		r.P, r.SP, r.NP, r.ImpliedNone = PolicyNone, "", "", true
		p.add(SevError, bad, "because %s= is invalid, receivers act as if the record said only p=none (RFC 9989 §4.10.1)", bad)
	}
	if p.seen["fo"] && len(r.RUF) == 0 {
		p.add(SevInfo, "fo", "fo= has no effect without ruf= (RFC 9989 §4.7)")
	}
	return r, p.findings, nil
}

// parseURI reads one DMARC URI (RFC 9989 dmarc-uri: an RFC 3986 URI with
// "," and "!" percent-encoded), accepting RFC 7489's "!" size suffix
// (§6.2: 1*DIGIT [ "k" / "m" / "g" / "t" ]).
func parseURI(raw string) (URI, error) {
	u := URI{Raw: raw, URI: raw}
	if raw == "" {
		return u, errors.New("empty URI")
	}
	if i := strings.LastIndexByte(raw, '!'); i >= 0 {
		size, err := parseSize(raw[i+1:])
		if err != nil {
			return u, err
		}
		u.URI, u.MaxSize = raw[:i], size
	}
	for i := 0; i < len(u.URI); i++ {
		if c := u.URI[i]; c <= ' ' || c >= 0x7f {
			return u, fmt.Errorf("character %q not allowed in a URI", c)
		}
	}
	scheme, rest, ok := strings.Cut(u.URI, ":")
	if !ok || !isScheme(scheme) {
		return u, errors.New("not a URI (no scheme such as mailto:)")
	}
	u.Scheme = strings.ToLower(scheme)
	if u.Scheme == "mailto" {
		addr, _, _ := strings.Cut(rest, "?")
		dec, err := url.PathUnescape(addr)
		if err != nil {
			return u, fmt.Errorf("bad percent-encoding: %w", err)
		}
		at := strings.LastIndexByte(dec, '@')
		if at <= 0 {
			return u, errors.New("mailto: needs an address local@domain")
		}
		d, ok := normalizeDomain(dec[at+1:])
		if !ok {
			return u, fmt.Errorf("%q is not a valid domain", dec[at+1:])
		}
		u.Address, u.Domain = dec, d
		return u, nil
	}
	pu, err := url.Parse(u.URI)
	if err != nil {
		return u, fmt.Errorf("not a URI: %w", err)
	}
	u.Address = u.URI
	if h := pu.Hostname(); h != "" {
		u.Domain, _ = normalizeDomain(h)
	}
	return u, nil
}

func parseSize(s string) (string, error) {
	digits := strings.TrimRight(s, "kmgtKMGT")
	unit := strings.ToLower(s[len(digits):])
	if digits == "" || !isDigits(digits) || len(unit) > 1 {
		return "", fmt.Errorf("size limit \"!%s\" is not a number with an optional k, m, g or t", s)
	}
	if _, err := strconv.ParseUint(digits, 10, 64); err != nil {
		return "", fmt.Errorf("size limit \"!%s\" is out of range", s)
	}
	return digits + unit, nil
}

// trimWSP removes WSP (space and tab, RFC 5234) around s.
func trimWSP(s string) string { return strings.Trim(s, " \t") }

func isAlpha(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || (c|0x20) >= 'a' && (c|0x20) <= 'z'
}

// isKeyword is RFC 5321 §4.1.2 Keyword (Ldh-str).
func isKeyword(s string) bool {
	if s == "" || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '-' {
			return false
		}
	}
	return true
}

// isScheme is RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
func isScheme(s string) bool {
	if s == "" || !isAlpha(s[:1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

func firstOf(set map[string]bool, keys ...string) string {
	for _, k := range keys {
		if set[k] {
			return k
		}
	}
	return ""
}
