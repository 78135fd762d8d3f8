package scoring

import "strings"

// DomainOf is the domain of an e-mail address in the form every check
// compares: the part after the last "@", lower case, without surrounding
// white space or a final dot ("Bob@Example.COM." → "example.com"). It is
// "" when addr has no "@" or nothing after it. DNS names are
// case-insensitive and "example.com." is "example.com" (RFC 1034 §3.1),
// so one normalisation makes every comparison agree.
func DomainOf(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	return NormalDomain(addr[at+1:])
}

// NormalDomain is a domain name in that same form: lower case, without
// surrounding white space or a final dot.
func NormalDomain(d string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
}
