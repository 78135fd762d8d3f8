// Package mtasts checks a domain's MTA-STS policy (RFC 8461): the
// _mta-sts TXT record, the policy file served over HTTPS from
// mta-sts.<domain>, its mode and max_age, and its mx patterns against the
// domain's MX records. The fix is the policy file and where to serve it.
package mtasts

import (
	"fmt"
	"strconv"
	"strings"
)

// Record is a parsed _mta-sts TXT record (RFC 8461 §3.1).
type Record struct {
	ID         string
	Extensions []string // other fields, kept as written
}

// MaxRecordLen bounds the TXT text parsed.
const MaxRecordLen = 4096

// ParseRecord reads "v=STSv1; id=...;" (RFC 8461 §3.1): v=STSv1 first,
// then an id of 1 to 32 letters and digits; other fields are extensions.
func ParseRecord(txt string) (*Record, error) {
	if len(txt) > MaxRecordLen {
		return nil, fmt.Errorf("the record is %d bytes long", len(txt))
	}
	fields := strings.Split(txt, ";")
	if v := strings.TrimSpace(fields[0]); v != "v=STSv1" {
		return nil, fmt.Errorf("%q: the record must start with v=STSv1 (RFC 8461 §3.1)", v)
	}
	rec := &Record{}
	seenID := false
	for _, f := range fields[1:] {
		f = strings.Trim(f, " \t")
		if f == "" {
			continue
		}
		name, value, ok := strings.Cut(f, "=")
		if !ok || name == "" {
			return nil, fmt.Errorf("%q is not a name=value field (RFC 8461 §3.1)", f)
		}
		if name != "id" {
			rec.Extensions = append(rec.Extensions, f)
			continue
		}
		if seenID {
			return nil, fmt.Errorf("id= appears twice")
		}
		seenID = true
		if len(value) < 1 || len(value) > 32 || !alnum(value) {
			return nil, fmt.Errorf("id=%q must be 1 to 32 letters and digits (RFC 8461 §3.1)", value)
		}
		rec.ID = value
	}
	if !seenID {
		return nil, fmt.Errorf("the record has no id= (RFC 8461 §3.1)")
	}
	return rec, nil
}

func alnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Mode is a policy's mode (RFC 8461 §5).
type Mode string

// The modes.
const (
	Enforce Mode = "enforce"
	Testing Mode = "testing"
	None    Mode = "none"
)

// MaxMaxAge is the largest max_age (RFC 8461 §3.2: 31557600 seconds).
const MaxMaxAge = 31557600

// Policy is a parsed policy file (RFC 8461 §3.2).
type Policy struct {
	Version string
	Mode    Mode
	MaxAge  int64
	MX      []string // patterns, lower case, as written
}

// MaxPolicySize bounds the policy file read (RFC 8461 §3.3 lets senders
// limit it; 64 KiB, as common implementations do).
const MaxPolicySize = 64 << 10

// ParsePolicy reads a policy file: "key: value" lines ending in CRLF (LF
// accepted), version first and STSv1, mode, max_age and, unless the mode
// is none, at least one mx (RFC 8461 §3.2). Unknown keys are ignored.
func ParsePolicy(text string) (*Policy, error) {
	if len(text) > MaxPolicySize {
		return nil, fmt.Errorf("the policy is %d bytes, over %d", len(text), MaxPolicySize)
	}
	p := &Policy{}
	seen := map[string]bool{}
	for i, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d %q is not \"key: value\" (RFC 8461 §3.2)", i+1, line)
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if key != "mx" && seen[key] && (key == "version" || key == "mode" || key == "max_age") {
			return nil, fmt.Errorf("%s: appears twice", key)
		}
		seen[key] = true
		switch key {
		case "version":
			if len(p.MX) > 0 || p.Mode != "" || seen["max_age"] {
				return nil, fmt.Errorf("version: must be the first field (RFC 8461 §3.2)")
			}
			p.Version = value
		case "mode":
			switch Mode(value) {
			case Enforce, Testing, None:
				p.Mode = Mode(value)
			default:
				return nil, fmt.Errorf("mode: %q is not enforce, testing or none (RFC 8461 §3.2)", value)
			}
		case "max_age":
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil || n < 0 || n > MaxMaxAge || len(value) > 10 {
				return nil, fmt.Errorf("max_age: %q is not a number of seconds from 0 to %d (RFC 8461 §3.2)", value, MaxMaxAge)
			}
			p.MaxAge = n
		case "mx":
			pat := strings.ToLower(strings.TrimSuffix(value, "."))
			if !validPattern(pat) {
				return nil, fmt.Errorf("mx: %q is not a host name or *.-prefixed pattern (RFC 8461 §3.2)", value)
			}
			p.MX = append(p.MX, pat)
		}
	}
	switch {
	case p.Version != "STSv1":
		return nil, fmt.Errorf("version: must be STSv1, found %q (RFC 8461 §3.2)", p.Version)
	case p.Mode == "":
		return nil, fmt.Errorf("mode: is missing (RFC 8461 §3.2)")
	case !seen["max_age"]:
		return nil, fmt.Errorf("max_age: is missing (RFC 8461 §3.2)")
	case p.Mode != None && len(p.MX) == 0:
		return nil, fmt.Errorf("mx: at least one is required in mode %s (RFC 8461 §3.2)", p.Mode)
	}
	return p, nil
}

func validPattern(p string) bool {
	p = strings.TrimPrefix(p, "*.")
	if p == "" || len(p) > 253 || !strings.Contains(p, ".") {
		return false
	}
	for _, l := range strings.Split(p, ".") {
		if l == "" || len(l) > 63 {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// Matches reports whether host matches one of the policy's mx patterns:
// exactly, or "*.example.com" for one more leftmost label (RFC 8461 §4.1).
func (p *Policy) Matches(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, pat := range p.MX {
		if rest, ok := strings.CutPrefix(pat, "*."); ok {
			if i := strings.IndexByte(host, '.'); i > 0 && host[i+1:] == rest {
				return true
			}
			continue
		}
		if host == pat {
			return true
		}
	}
	return false
}

// Text renders a policy file, CRLF line endings (RFC 8461 §3.2).
func (p *Policy) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "version: STSv1\r\nmode: %s\r\n", p.Mode)
	for _, m := range p.MX {
		fmt.Fprintf(&b, "mx: %s\r\n", m)
	}
	fmt.Fprintf(&b, "max_age: %d\r\n", p.MaxAge)
	return b.String()
}
