package dkim

import (
	"errors"
	"fmt"
	"strings"
)

// Tag is one tag=value pair of a tag-list, as written (value trimmed of
// surrounding whitespace).
type Tag struct {
	Name  string
	Value string
}

// Errors a caller may branch on; ParseKeyRecord wraps them with the
// specifics.
var (
	// ErrSyntax: the record is not a tag-list (RFC 6376 §3.2).
	ErrSyntax = errors.New("dkim key record syntax error")
	// ErrDuplicateTag: a tag occurs twice, which makes the whole tag-list
	// invalid (RFC 6376 §3.2).
	ErrDuplicateTag = errors.New("duplicate tag")
	// ErrVersion: v= is present but not "DKIM1", or not the first tag
	// (RFC 6376 §3.6.1).
	ErrVersion = errors.New("bad v= tag")
	// ErrNoKeyData: there is no p= tag at all (RFC 6376 §3.6.1: required).
	ErrNoKeyData = errors.New("no p= tag")
	// ErrKeyType: k= names a key type this tool (and receivers) do not know.
	ErrKeyType = errors.New("unknown key type")
	// ErrKeyData: p= is not base64 or does not hold a public key.
	ErrKeyData = errors.New("bad public key data")
	// ErrKeyMismatch: k= says one algorithm, p= holds a key of another.
	ErrKeyMismatch = errors.New("key type does not match key data")
)

// isFWS reports whether c is folding white space as it can appear in a TXT
// value (RFC 6376 §2.8: WSP, and CRLF before WSP).
func isFWS(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func trimFWS(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return r < 0x80 && isFWS(byte(r)) })
}

// stripFWS removes all white space, for base64 values (RFC 6376 §3.6.1:
// "whitespace is ignored" in p=).
func stripFWS(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if !isFWS(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// validTagName: tag-name = ALPHA *ALNUMPUNC (RFC 6376 §3.2).
func validTagName(n string) bool {
	if n == "" || !isAlpha(n[0]) {
		return false
	}
	for i := 1; i < len(n); i++ {
		c := n[i]
		if !isAlpha(c) && !(c >= '0' && c <= '9') && c != '_' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// invalidValueChar returns the first byte of v that is neither VALCHAR
// (%x21-3A / %x3C-7E) nor white space, or -1.
func invalidValueChar(v string) int {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if isFWS(c) || c >= 0x21 && c <= 0x7e && c != ';' {
			continue
		}
		return i
	}
	return -1
}

// parseTagList splits a tag-list (RFC 6376 §3.2) into tags in order. It
// returns a syntax error for a tag-spec without "=" or with a bad name;
// softer deviations become findings.
func parseTagList(s string) ([]Tag, []Finding, error) {
	var tags []Tag
	var findings []Finding
	specs := strings.Split(s, ";")
	for i, spec := range specs {
		spec = trimFWS(spec)
		if spec == "" {
			// A single trailing ";" is allowed by the ABNF; an empty
			// tag-spec in the middle is not, but every verifier shrugs.
			if i != len(specs)-1 && !(i == len(specs)-2 && trimFWS(specs[i+1]) == "") {
				findings = append(findings, Finding{Severity: Note,
					Message: `empty tag-spec (";;"); receivers tolerate it, but it is not valid RFC 6376 §3.2 syntax`})
			}
			continue
		}
		eq := strings.IndexByte(spec, '=')
		if eq < 0 {
			return tags, findings, fmt.Errorf("%w: %q has no \"=\" (RFC 6376 §3.2 tag=value)", ErrSyntax, short(spec))
		}
		name := trimFWS(spec[:eq])
		value := trimFWS(spec[eq+1:])
		if !validTagName(name) {
			return tags, findings, fmt.Errorf("%w: %q is not a valid tag name (RFC 6376 §3.2)", ErrSyntax, short(name))
		}
		if j := invalidValueChar(value); j >= 0 {
			findings = append(findings, Finding{Severity: Warning, Tag: name,
				Message: fmt.Sprintf("%s= contains byte 0x%02x, not allowed in a tag value (RFC 6376 §3.2 VALCHAR)", name, value[j])})
		}
		tags = append(tags, Tag{Name: name, Value: value})
	}
	return tags, findings, nil
}

// short cuts a quoted fragment of a record to a readable length.
func short(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}

// splitList splits a colon-separated tag value (h=, s=, t=) into trimmed,
// non-empty items.
func splitList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ":") {
		if item = trimFWS(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
