package spf

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// macroString is a parsed macro-string (RFC 7208 §7.1): literal text and
// macro-expands, in order.
type macroString []macroToken

// macroToken is one literal run or one macro-expand. A token with letter 0
// is literal text; "%%", "%_" and "%-" are parsed into literals.
type macroToken struct {
	literal string
	letter  byte // lower-case macro letter, 0 for a literal
	upper   bool // upper-case letter: URL-escape the value (§7.3)
	digits  int  // keep this many right-hand parts; 0 = all
	reverse bool
	delims  string // delimiters to split on; "" = "."
}

// maxMacroParts caps the DIGIT transformer: no name has more parts than
// this, so a larger number means "all parts" (§7.3).
const maxMacroParts = 128

// errMacro is wrapped by every macro syntax error.
var errMacro = errors.New("bad macro")

// parseMacroString parses s as a macro-string; explain allows the letters
// c, r and t, which RFC 7208 §7.2 reserves to exp= text, and the space
// (explain-string, §6.2).
func parseMacroString(s string, explain bool) (macroString, error) {
	var out macroString
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, macroToken{literal: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			// macro-literal = %x21-24 / %x26-7E; explain-string adds SP.
			if (c < 0x21 || c > 0x7e) && !(explain && c == ' ') {
				return nil, fmt.Errorf("%w: character %q is not allowed (RFC 7208 §7.1)", errMacro, rune(c))
			}
			lit.WriteByte(c)
			continue
		}
		if i+1 >= len(s) {
			return nil, fmt.Errorf("%w: %q at the end must be written %%%% (RFC 7208 §7.1)", errMacro, "%")
		}
		switch s[i+1] {
		case '%':
			lit.WriteByte('%')
			i++
			continue
		case '_':
			lit.WriteByte(' ')
			i++
			continue
		case '-':
			lit.WriteString("%20")
			i++
			continue
		case '{':
		default:
			return nil, fmt.Errorf("%w: %q must be followed by {, %%, _ or - (RFC 7208 §7.1)", errMacro, s[i:i+2])
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			return nil, fmt.Errorf("%w: %q is not closed by } (RFC 7208 §7.1)", errMacro, s[i:])
		}
		tok, err := parseMacroExpand(s[i+2:i+end], explain)
		if err != nil {
			return nil, err
		}
		flush()
		out = append(out, tok)
		i += end
	}
	flush()
	return out, nil
}

// parseMacroExpand parses the inside of "%{...}": macro-letter
// transformers *delimiter (RFC 7208 §7.1).
func parseMacroExpand(body string, explain bool) (macroToken, error) {
	if body == "" {
		return macroToken{}, fmt.Errorf("%w: empty %%{} (RFC 7208 §7.1)", errMacro)
	}
	tok := macroToken{letter: body[0] | 0x20, upper: body[0] >= 'A' && body[0] <= 'Z'}
	switch tok.letter {
	case 's', 'l', 'o', 'd', 'i', 'p', 'v', 'h':
	case 'c', 'r', 't':
		if !explain {
			return macroToken{}, fmt.Errorf("%w: %%{%c} is only allowed in exp= text (RFC 7208 §7.2)", errMacro, body[0])
		}
	default:
		return macroToken{}, fmt.Errorf("%w: unknown macro letter %q (RFC 7208 §7.2)", errMacro, body[0])
	}
	rest := body[1:]
	n := 0
	for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if n > 0 {
		digits := strings.TrimLeft(rest[:n], "0")
		switch {
		case digits == "":
			return macroToken{}, fmt.Errorf("%w: %%{%s}: the number of parts must not be zero (RFC 7208 §7.3)", errMacro, body)
		case len(digits) > 3:
			tok.digits = maxMacroParts
		default:
			v, _ := strconv.Atoi(digits)
			tok.digits = min(v, maxMacroParts)
		}
		rest = rest[n:]
	}
	if rest != "" && (rest[0] == 'r' || rest[0] == 'R') {
		tok.reverse = true
		rest = rest[1:]
	}
	for i := 0; i < len(rest); i++ {
		if !strings.ContainsRune(".-+,/_=", rune(rest[i])) {
			return macroToken{}, fmt.Errorf("%w: %%{%s}: %q is not a delimiter (RFC 7208 §7.1)", errMacro, body, rest[i])
		}
	}
	tok.delims = rest
	return tok, nil
}

// endsWithMacro reports whether the last token is a macro-expand, which
// makes a valid domain-end by itself (RFC 7208 §7.1). "%%", "%_" and "%-"
// are macro-expands too, but they are parsed into literals; the caller
// checks for them in the raw text.
func (m macroString) endsWithMacro() bool {
	return len(m) > 0 && m[len(m)-1].letter != 0
}

// macroEnv is what macros expand to (RFC 7208 §7.2).
type macroEnv struct {
	sender   string // <sender>, with "postmaster" for an empty local-part
	local    string // local-part of <sender>
	sdomain  string // domain of <sender>
	domain   string // <domain>, the current domain
	helo     string
	ip       netip.Addr
	receiver string
	now      time.Time
	// ptr returns the validated domain name of ip, preferring domain or a
	// subdomain of it (RFC 7208 §7.3); nil means "unknown".
	ptr func(domain string) string
}

// expand expands m in env (RFC 7208 §7.3).
func (m macroString) expand(env *macroEnv) string {
	var b strings.Builder
	for _, t := range m {
		if t.letter == 0 {
			b.WriteString(t.literal)
			continue
		}
		v := t.transform(env.value(t.letter))
		if t.upper {
			v = urlEscape(v)
		}
		b.WriteString(v)
	}
	return b.String()
}

// value is the raw value of one macro letter.
func (env *macroEnv) value(letter byte) string {
	switch letter {
	case 's':
		return env.sender
	case 'l':
		return env.local
	case 'o':
		return env.sdomain
	case 'd':
		return env.domain
	case 'i':
		return dotIP(env.ip)
	case 'p':
		if env.ptr == nil {
			return "unknown"
		}
		return env.ptr(env.domain)
	case 'v':
		if env.ip.Is4() {
			return "in-addr"
		}
		return "ip6"
	case 'h':
		return env.helo
	case 'c':
		return env.ip.String()
	case 'r':
		if env.receiver == "" {
			return "unknown"
		}
		return env.receiver
	case 't':
		return strconv.FormatInt(env.now.Unix(), 10)
	}
	return ""
}

// transform applies the transformers: split on the delimiters, reverse,
// keep the right-hand parts, rejoin with "." (RFC 7208 §7.3).
func (t macroToken) transform(v string) string {
	if t.digits == 0 && !t.reverse && (t.delims == "" || t.delims == ".") {
		return v
	}
	delims := t.delims
	if delims == "" {
		delims = "."
	}
	parts := splitAny(v, delims)
	if t.reverse {
		for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
			parts[i], parts[j] = parts[j], parts[i]
		}
	}
	if t.digits > 0 && t.digits < len(parts) {
		parts = parts[len(parts)-t.digits:]
	}
	return strings.Join(parts, ".")
}

// splitAny splits s at every byte in delims, keeping empty parts.
func splitAny(s, delims string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(delims, s[i]) >= 0 {
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// dotIP is the "i" macro: dotted-quad for IPv4, dot-separated nibbles for
// IPv6 (RFC 7208 §7.3).
func dotIP(ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	if ip.Is4() {
		return ip.String()
	}
	const hex = "0123456789abcdef"
	a := ip.As16()
	b := make([]byte, 0, 63)
	for i, x := range a {
		if i > 0 {
			b = append(b, '.')
		}
		b = append(b, hex[x>>4], '.', hex[x&0xf])
	}
	return string(b)
}

// urlEscape escapes every byte outside the URI unreserved set (RFC 7208
// §7.3, RFC 3986 §2.3).
func urlEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	return b.String()
}
