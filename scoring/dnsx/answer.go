package dnsx

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Record types, so callers need not import miekg/dns (kept behind dnsx).
const (
	TypeA     = dns.TypeA
	TypeAAAA  = dns.TypeAAAA
	TypeCNAME = dns.TypeCNAME
	TypeMX    = dns.TypeMX
	TypeNS    = dns.TypeNS
	TypePTR   = dns.TypePTR
	TypeSOA   = dns.TypeSOA
	TypeTXT   = dns.TypeTXT
	TypeTLSA  = dns.TypeTLSA
)

// Outcome is what became of one question. NXDOMAIN, NODATA, SERVFAIL,
// REFUSED and a timeout are different facts and every check needs to tell
// them apart: the first two are answers ("there is no such record"), the
// rest mean "could not find out".
type Outcome int

// The outcomes.
const (
	Success  Outcome = iota // NOERROR with records of the type asked
	NXDomain                // the name does not exist
	NoData                  // the name exists, but has no record of this type
	ServFail                // the server said SERVFAIL
	Refused                 // the server said REFUSED
	Timeout                 // no answer in time (after retries)
	Failure                 // anything else: network error, FORMERR, bad reply, cancelled
	Invalid                 // the name cannot be asked at all (bad label, too long)
)

var outcomeNames = [...]string{"ok", "nxdomain", "nodata", "servfail", "refused", "timeout", "failure", "invalid"}

func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// MarshalJSON writes the outcome's name.
func (o Outcome) MarshalJSON() ([]byte, error) { return json.Marshal(o.String()) }

// Temporary reports whether the outcome means "could not find out" rather
// than an answer; checks turn these into status error, SPF into temperror.
func (o Outcome) Temporary() bool { return o >= ServFail && o <= Failure }

// Void reports whether the outcome is an answer with nothing in it — what
// RFC 7208 §4.6.4 calls a void lookup.
func (o Outcome) Void() bool { return o == NXDomain || o == NoData }

// Answer is the result of one lookup. It is never nil.
type Answer struct {
	Name    string   // the name asked, fully qualified, lower case
	Type    uint16   // the type asked
	Outcome Outcome  // what became of it
	Records []dns.RR // records of the type asked (after following CNAMEs)
	Server  string   // who answered
	// Authenticated is the reply's AD bit: the resolver validated the
	// answer with DNSSEC (RFC 4035 §3.2.3). Only as trustworthy as the
	// path to the resolver: a local validating one (RFC 7672 §2.2).
	Authenticated bool
	RTT           time.Duration
	Err           error // the underlying error for Timeout and Failure

	chain  []string // CNAME targets from Name, in order, as the reply gave them
	negTTL uint32   // a negative answer's TTL from the SOA (RFC 2308 §5), for Cache
}

// Error returns nil on success and an *Error otherwise, for code that only
// wants to propagate a failure.
func (a *Answer) Error() error {
	if a.Outcome == Success {
		return nil
	}
	return &Error{Name: a.Name, Type: dns.TypeToString[a.Type], Outcome: a.Outcome, Err: a.Err}
}

// TXT returns each TXT record as its character-strings, in answer order,
// as the raw bytes that travelled (RFC 1035 §3.3.14). miekg/dns keeps them
// in presentation form ("\"", "\\", "\195\169"), which would hide
// non-ASCII bytes and inflate lengths.
func (a *Answer) TXT() [][]string {
	var out [][]string
	for _, rr := range a.Records {
		if t, ok := rr.(*dns.TXT); ok {
			strs := make([]string, len(t.Txt))
			for i, s := range t.Txt {
				strs[i] = unescapeTXT(s)
			}
			out = append(out, strs)
		}
	}
	return out
}

// unescapeTXT undoes the presentation escaping of one character-string:
// "\DDD" is the byte DDD, "\c" is c.
func unescapeTXT(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b = append(b, s[i])
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			if v := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0'); v <= 255 {
				b = append(b, byte(v))
				i += 3
				continue
			}
		}
		b = append(b, s[i+1])
		i++
	}
	return string(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// JoinedTXT returns each TXT record with its strings concatenated without
// separators (RFC 7208 §3.3, RFC 6376 §3.6.2.2).
func (a *Answer) JoinedTXT() []string {
	var out []string
	for _, parts := range a.TXT() {
		out = append(out, strings.Join(parts, ""))
	}
	return out
}

// Addrs returns the addresses of A and AAAA records.
func (a *Answer) Addrs() []netip.Addr {
	var out []netip.Addr
	for _, rr := range a.Records {
		switch r := rr.(type) {
		case *dns.A:
			if ip, ok := netip.AddrFromSlice(r.A.To4()); ok {
				out = append(out, ip)
			}
		case *dns.AAAA:
			if ip, ok := netip.AddrFromSlice(r.AAAA.To16()); ok {
				out = append(out, ip)
			}
		}
	}
	return out
}

// MX is one mail exchanger.
type MX struct {
	Preference uint16 `json:"preference"`
	Host       string `json:"host"` // fully qualified, lower case, with the dot
}

// MXs returns the MX records in answer order (callers sort as they need).
func (a *Answer) MXs() []MX {
	var out []MX
	for _, rr := range a.Records {
		if m, ok := rr.(*dns.MX); ok {
			out = append(out, MX{Preference: m.Preference, Host: strings.ToLower(m.Mx)})
		}
	}
	return out
}

// Names returns the target names of PTR, NS and CNAME records, in DNS
// presentation form (a dot or backslash inside a label is escaped).
func (a *Answer) Names() []string {
	var out []string
	for _, rr := range a.Records {
		switch r := rr.(type) {
		case *dns.PTR:
			out = append(out, strings.ToLower(r.Ptr))
		case *dns.NS:
			out = append(out, strings.ToLower(r.Ns))
		case *dns.CNAME:
			out = append(out, strings.ToLower(r.Target))
		}
	}
	return out
}

// Error describes a lookup that did not succeed.
type Error struct {
	Name    string
	Type    string
	Outcome Outcome
	Err     error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("dns %s %s: %s", e.Type, strings.TrimSuffix(e.Name, "."), describe(e.Outcome))
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Temporary reports whether retrying later may help.
func (e *Error) Temporary() bool { return e.Outcome.Temporary() }

func describe(o Outcome) string {
	switch o {
	case NXDomain:
		return "no such name (NXDOMAIN)"
	case NoData:
		return "no record of that type (NODATA)"
	case ServFail:
		return "server failure (SERVFAIL)"
	case Refused:
		return "query refused (REFUSED)"
	case Timeout:
		return "timed out"
	case Invalid:
		return "not a valid domain name"
	}
	return "lookup failed"
}

// Query is one entry of the query log: what was asked, of whom, and what
// came back. The UI shows these so a person can see the tool's work.
type Query struct {
	Name    string        `json:"name"`
	Type    string        `json:"type"`
	Server  string        `json:"server,omitempty"`
	Rcode   string        `json:"rcode,omitempty"`
	Outcome Outcome       `json:"outcome"`
	RTT     time.Duration `json:"rtt_ns"`
	Answers []string      `json:"answers,omitempty"`
	TTL     uint32        `json:"ttl,omitempty"` // smallest TTL of the answers
	Cached  bool          `json:"cached,omitempty"`
	Fresh   bool          `json:"fresh,omitempty"` // asked of an authoritative server
	Error   string        `json:"error,omitempty"`

	noReply bool // the exchange failed before any reply (see Silent)
}

// String renders the entry on one line, dig-style, for -v.
func (q Query) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", strings.TrimSuffix(q.Name, "."), q.Type, q.Outcome)
	if q.Cached {
		b.WriteString(" (cached)")
	} else {
		fmt.Fprintf(&b, " %s @%s", q.RTT.Round(100*time.Microsecond), q.Server)
	}
	if q.Fresh {
		b.WriteString(" authoritative")
	}
	for _, a := range q.Answers {
		b.WriteString("\n    " + a)
	}
	if q.Error != "" {
		b.WriteString(" (" + q.Error + ")")
	}
	return b.String()
}
