package dnsbl

import (
	"fmt"
	"net/netip"
	"slices"
)

// loopback8 is 127.0.0.0/8: every genuine DNSBL answer lies in it
// (RFC 5782); anything else was written by someone else — a resolver that
// rewrites NXDOMAIN, a captive portal, a parked zone.
var loopback8 = netip.PrefixFrom(netip.AddrFrom4([4]byte{127, 0, 0, 0}), 8)

// Meaning is what one return code (or one bit of it) says.
type Meaning struct {
	Code     netip.Addr
	Text     string
	Severity Severity
}

// String returns the code and its meaning on one line.
func (m Meaning) String() string { return m.Code.String() + " " + m.Text }

// Decoded is what a list's A answers mean. At most one of three things is
// true: Foreign is non-empty (the answer did not come from the list),
// Refusal is set (the list declined to answer), or Listed.
type Decoded struct {
	Codes    []netip.Addr // the answers, sorted, without duplicates
	Listed   bool
	Meanings []Meaning // one per known code or set bit; unknown ones say so
	Refusal  *Refusal  // the operator's refusal or error code, if any answer was one
	Foreign  []netip.Addr
}

// Decode interprets the A answers of a list query. It never fails: every
// combination of addresses has a meaning, and the precedence is
// foreign answers, then refusals, then listings — so an error code is
// never read as a listing (github.com/haraka/haraka-plugin-uribl/issues/2,
// github.com/mail-in-a-box/mailinabox/issues/2332, github.com/mjl-/mox/issues/354).
func Decode(l List, answers []netip.Addr) Decoded {
	var d Decoded
	for _, a := range answers {
		a = a.Unmap()
		if !a.IsValid() {
			continue
		}
		if !slices.Contains(d.Codes, a) {
			d.Codes = append(d.Codes, a)
		}
	}
	slices.SortFunc(d.Codes, netip.Addr.Compare)

	for _, a := range d.Codes {
		if !a.Is4() || !loopback8.Contains(a) {
			d.Foreign = append(d.Foreign, a)
		}
	}
	if len(d.Foreign) > 0 {
		return d
	}
	for _, a := range d.Codes {
		if r, ok := refusalFor(l, a); ok {
			d.Refusal = &r
			return d
		}
	}
	for _, a := range d.Codes {
		d.Meanings = append(d.Meanings, meaningsOf(l, a)...)
	}
	d.Listed = len(d.Meanings) > 0
	return d
}

// refusalFor returns the refusal a code stands for, if it is one.
func refusalFor(l List, a netip.Addr) (Refusal, bool) {
	for _, r := range l.Refusals {
		if r.Addr == a {
			return r, true
		}
	}
	if l.ErrorRange.IsValid() && l.ErrorRange.Contains(a) {
		return Refusal{
			Addr:   a,
			Reason: fmt.Sprintf("%s error code %s (%s is reserved for errors; not a listing)", l.Name, a, l.ErrorRange),
			Remedy: remedyOwnResolver,
		}, true
	}
	return Refusal{}, false
}

// meaningsOf returns what one listing code says: its exact meaning, or the
// meaning of each bit for bitmask lists, or "unknown code".
func meaningsOf(l List, a netip.Addr) []Meaning {
	for _, c := range l.Codes {
		if c.Addr == a {
			return []Meaning{{Code: a, Text: c.Meaning, Severity: c.Severity}}
		}
	}
	b := a.As4()
	if len(l.Bits) > 0 && b[0] == 127 && b[1] == 0 && b[2] == 0 {
		var out []Meaning
		rest := b[3]
		for _, bit := range l.Bits {
			if b[3]&bit.Mask != 0 {
				out = append(out, Meaning{Code: a, Text: bit.Meaning, Severity: bit.Severity})
				rest &^= bit.Mask
			}
		}
		if rest != 0 {
			out = append(out, Meaning{Code: a, Severity: l.Default,
				Text: fmt.Sprintf("unknown bit(s) 0x%02x — see the list's documentation", rest)})
		}
		if len(out) > 0 {
			return out
		}
	}
	return []Meaning{{Code: a, Severity: l.Default,
		Text: "listed with a code this tool does not know — see the list's documentation"}}
}

// Worst returns the most harmful severity among the meanings, and false if
// there are none.
func Worst(ms []Meaning) (Severity, bool) {
	if len(ms) == 0 {
		return Good, false
	}
	w := ms[0].Severity
	for _, m := range ms[1:] {
		if m.Severity.worse(w) {
			w = m.Severity
		}
	}
	return w, true
}
