package spf

import (
	"net/netip"
	"slices"
	"strings"
)

// ipTerm is the ip4: or ip6: term authorising one address.
func ipTerm(ip netip.Addr) string {
	ip = ip.Unmap()
	if ip.Is4() {
		return "ip4:" + ip.String()
	}
	return "ip6:" + ip.String()
}

// NewRecord is the record to publish for a domain that sends only from
// ips: "v=spf1 ip4:203.0.113.5 ip6:2001:db8::5 -all". Without addresses
// it authorises the domain's own A and MX hosts.
func NewRecord(ips []netip.Addr) string {
	terms := []string{"v=spf1"}
	for _, ip := range ips {
		if t := ipTerm(ip); !slices.Contains(terms, t) {
			terms = append(terms, t)
		}
	}
	if len(terms) == 1 {
		terms = append(terms, "a", "mx")
	}
	return strings.Join(append(terms, "-all"), " ")
}

// recordTerms splits a record's text into its terms (without the
// version), keeping only the terms that are valid on their own, so that a
// suggested record never carries a broken term forward. dropped lists the
// others.
func recordTerms(text string) (terms, dropped []string) {
	for i, t := range strings.Split(text, " ") {
		if t == "" || (i == 0 && strings.EqualFold(t, "v=spf1")) {
			continue
		}
		if _, err := Parse("v=spf1 " + t); err != nil {
			dropped = append(dropped, t)
			continue
		}
		terms = append(terms, t)
	}
	return terms, dropped
}

// isAllTerm reports whether t is an "all" directive.
func isAllTerm(t string) bool {
	return strings.EqualFold(strings.TrimLeft(t, "+-~?"), "all")
}

func modifierName(t string) string {
	if eq := strings.IndexByte(t, '='); eq > 0 && !strings.ContainsAny(t[:eq], ":/") {
		return strings.ToLower(t[:eq])
	}
	return ""
}

// MergeRecords combines several SPF records published at one name into
// the single record RFC 7208 §4.5 requires: every mechanism of each (once),
// the first "all" (or else the first redirect=), the first exp=. Terms that
// do not parse are left out and returned in dropped.
func MergeRecords(records []string) (merged string, dropped []string) {
	var mechs []string
	var all, redirect, exp string
	seen := map[string]bool{}
	for _, rec := range records {
		terms, bad := recordTerms(rec)
		dropped = append(dropped, bad...)
		for _, t := range terms {
			switch {
			case isAllTerm(t):
				if all == "" {
					all = t
				}
			case modifierName(t) == "redirect":
				if redirect == "" {
					redirect = t
				}
			case modifierName(t) == "exp":
				if exp == "" {
					exp = t
				}
			default:
				if k := strings.ToLower(t); !seen[k] {
					seen[k] = true
					mechs = append(mechs, t)
				}
			}
		}
	}
	out := append([]string{"v=spf1"}, mechs...)
	switch {
	case all != "":
		out = append(out, all)
	case redirect != "":
		out = append(out, redirect)
	}
	if exp != "" {
		out = append(out, exp)
	}
	return strings.Join(out, " "), dropped
}

// AddIPs returns record with ip4:/ip6: terms for ips put first, where
// they cost no DNS lookup and are matched before any include; the
// existing terms (includes and all) are kept as they are. Addresses the
// record already lists are not added twice.
func AddIPs(record string, ips []netip.Addr) string {
	terms, _ := recordTerms(record)
	var add []string
	for _, ip := range ips {
		t := ipTerm(ip)
		if !slices.ContainsFunc(terms, func(x string) bool { return strings.EqualFold(strings.TrimPrefix(x, "+"), t) }) &&
			!slices.Contains(add, t) {
			add = append(add, t)
		}
	}
	out := append([]string{"v=spf1"}, add...)
	out = append(out, terms...)
	hasAll := slices.ContainsFunc(terms, isAllTerm)
	hasRedirect := slices.ContainsFunc(terms, func(t string) bool { return modifierName(t) == "redirect" })
	if !hasAll && !hasRedirect {
		out = append(out, "-all")
	}
	return strings.Join(out, " ")
}

// SetAll returns record with its "all" replaced by (or, without one,
// ended with) qualifier+"all", before any modifiers.
func SetAll(record string, q Qualifier) string {
	terms, _ := recordTerms(record)
	all := string(q) + "all"
	if q == QPass {
		all = "all"
	}
	var mechs, mods []string
	for _, t := range terms {
		switch {
		case isAllTerm(t):
		case modifierName(t) == "redirect":
			// RFC 7208 §5.1: with "all" the redirect would be ignored.
		case modifierName(t) != "":
			mods = append(mods, t)
		default:
			mechs = append(mechs, t)
		}
	}
	out := append([]string{"v=spf1"}, mechs...)
	out = append(out, all)
	return strings.Join(append(out, mods...), " ")
}
