package rdns

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// genericWords are the label words access and hosting providers put in the
// default PTR names of end-user or unconfigured addresses. Receivers treat
// such names like dynamic space (SpamAssassin RDNS_DYNAMIC, SpamRATS
// RATS-Dyna, Comcast ES000010). Knowledge as data: extend the table, not
// the code.
var genericWords = []string{
	"dynamic", "dyn", "dhcp", "pool", "dsl", "adsl", "vdsl", "xdsl", "sdsl",
	"cable", "dialup", "dial", "dialin", "ppp", "pppoe", "broadband", "static",
	"client", "clients", "cust", "customer", "residential", "unassigned", "nat",
	"cpe", "ftth",
}

// LooksGeneric returns why name looks like a provider's default PTR name
// for ip (the address written into it, or a dynamic/pool/dsl/static-ip
// word), or "" when it looks like a name someone chose. Only the labels
// left of the last two are searched for words, so a domain that happens
// to contain one ("mail.static-assets.com") is not flagged.
func LooksGeneric(name string, ip netip.Addr) string {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if form := embeddedIP(name, ip.Unmap()); form != "" {
		return fmt.Sprintf("it has the address written into it (%s)", form)
	}
	labels := strings.Split(name, ".")
	if len(labels) <= 2 {
		return ""
	}
	for _, label := range labels[:len(labels)-2] {
		for _, tok := range strings.FieldsFunc(label, func(r rune) bool { return r == '-' || r == '_' }) {
			word := strings.TrimRight(tok, "0123456789")
			for _, g := range genericWords {
				if word == g {
					return fmt.Sprintf("it contains %q, a word providers use for dynamic or unconfigured addresses", tok)
				}
			}
		}
	}
	return ""
}

// embeddedIP finds ip written into name in one of the usual forms and
// returns that form, or "".
func embeddedIP(name string, ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	// Decimal forms (IPv4) are bounded by non-digits only: "ip203-0-113-5x"
	// counts; hex forms (IPv6) by neither a digit nor a letter.
	bound := func(c byte) bool {
		return !('0' <= c && c <= '9') && (ip.Is4() || !('a' <= c && c <= 'z'))
	}
	for _, form := range ipForms(ip) {
		for i := 0; ; {
			j := strings.Index(name[i:], form)
			if j < 0 {
				break
			}
			start, end := i+j, i+j+len(form)
			if (start == 0 || bound(name[start-1])) && (end == len(name) || bound(name[end])) {
				return form
			}
			i = start + 1
		}
	}
	return ""
}

// ipForms lists the ways providers write an address into a name:
// 203-0-113-5, 203.0.113.5, 5-113-0-203, 203000113005, cb007105; for IPv6
// the 32 nibbles, the hextets joined by "-" and the "::" form with "--".
func ipForms(ip netip.Addr) []string {
	if ip.Is4() {
		b := ip.As4()
		d := [4]string{}
		for i, x := range b {
			d[i] = strconv.Itoa(int(x))
		}
		rev := [4]string{d[3], d[2], d[1], d[0]}
		var forms []string
		for _, sep := range []string{"-", ".", "_"} {
			forms = append(forms, strings.Join(d[:], sep), strings.Join(rev[:], sep))
		}
		return append(forms,
			fmt.Sprintf("%03d%03d%03d%03d", b[0], b[1], b[2], b[3]),
			fmt.Sprintf("%02x%02x%02x%02x", b[0], b[1], b[2], b[3]))
	}
	b := ip.As16()
	var nibbles strings.Builder
	var hextets []string
	for i := 0; i < 16; i += 2 {
		fmt.Fprintf(&nibbles, "%02x%02x", b[i], b[i+1])
		hextets = append(hextets, strconv.FormatUint(uint64(b[i])<<8|uint64(b[i+1]), 16))
	}
	return []string{
		nibbles.String(),
		strings.Join(hextets, "-"),
		strings.ReplaceAll(ip.String(), ":", "-"),
	}
}
