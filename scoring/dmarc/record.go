package dmarc

import (
	"strconv"
	"strings"
)

// Policy is a Domain Owner Assessment Policy: the p=, sp= and np= values
// (RFC 9989 §4.7).
type Policy string

// The policies, weakest first.
const (
	PolicyNone       Policy = "none"
	PolicyQuarantine Policy = "quarantine"
	PolicyReject     Policy = "reject"
)

// strength orders policies so "sp weaker than p" can be said; an unknown or
// empty policy is weakest of all.
func (p Policy) strength() int {
	switch p {
	case PolicyNone:
		return 1
	case PolicyQuarantine:
		return 2
	case PolicyReject:
		return 3
	}
	return 0
}

// downgrade is one step weaker: reject → quarantine → none. RFC 9989 §4.7
// (t=y) and RFC 7489 §6.6.4 (a message outside the pct sample) both use it.
func (p Policy) downgrade() Policy {
	switch p {
	case PolicyReject:
		return PolicyQuarantine
	case PolicyQuarantine:
		return PolicyNone
	}
	return p
}

// AlignMode is the adkim= / aspf= identifier alignment mode (RFC 9989 §4.7).
type AlignMode string

// The alignment modes; relaxed is the default.
const (
	Relaxed AlignMode = "r"
	Strict  AlignMode = "s"
)

// Record is one parsed DMARC record. The policy fields are effective values:
// when p= is absent or a policy tag is invalid but rua= is valid, P is none
// and ImpliedNone is set (RFC 9989 §4.10.1); Tags keeps what was published.
type Record struct {
	Version string    // always "DMARC1"
	P       Policy    // p=, effective
	SP      Policy    // sp=, "" when absent (subdomains then use P)
	NP      Policy    // np=, "" when absent (RFC 9989; then SP, then P)
	ADKIM   AlignMode // adkim=, default relaxed
	ASPF    AlignMode // aspf=, default relaxed
	FO      []string  // fo= options (0, 1, d, s), default ["0"]
	PSD     string    // psd= y, n or u; "" when absent (= u)
	T       bool      // t=y: the owner is testing its policy (RFC 9989)
	RUA     []URI     // rua=, valid URIs only
	RUF     []URI     // ruf=, valid URIs only
	// Removed by RFC 9989, still honoured by RFC 7489 receivers.
	PCT *int     // pct= 0..100
	RF  []string // rf= report formats
	RI  *uint32  // ri= seconds between aggregate reports

	// ImpliedNone is set when receivers act as if p=none was published
	// because p= is missing or a policy tag is invalid and rua= is valid.
	ImpliedNone bool
	// Tags are the tags as published, in order, names lower-cased.
	Tags []Tag
	// Raw is the record text as given to Parse.
	Raw string
}

// Tag is one tag=value pair as published.
type Tag struct {
	Name  string // lower case
	Value string // as published, surrounding WSP removed
}

// URI is one rua= or ruf= destination (RFC 9989 §4.7, "DMARC URIs").
type URI struct {
	Raw     string // as published, e.g. "mailto:d@example.net!10m"
	URI     string // without the RFC 7489 size suffix
	Scheme  string // lower case, e.g. "mailto"
	Address string // for mailto: the address; otherwise the URI
	Domain  string // the address's or host's domain, lower case
	MaxSize string // RFC 7489 §6.2 "!size" suffix, unit lower-cased ("10m"); RFC 9989 ignores it
}

// String is the URI with its size suffix normalised.
func (u URI) String() string {
	if u.MaxSize != "" {
		return u.URI + "!" + u.MaxSize
	}
	return u.URI
}

// Finding is one problem or remark about a record. Severity is "error" (the
// value or record is not usable as published), "warn" (it works but is
// probably not what was meant) or "info".
type Finding struct {
	Severity string `json:"severity"`
	Tag      string `json:"tag,omitempty"` // the tag concerned; "" for the whole record
	Message  string `json:"message"`
	// RFC7489Invalid is set when RFC 7489's grammar (as strict receivers
	// such as mox apply it) rejects the whole record for this problem,
	// although RFC 9989 ignores it.
	RFC7489Invalid bool `json:"rfc7489_invalid,omitempty"`
}

// The finding severities.
const (
	SevError = "error"
	SevWarn  = "warn"
	SevInfo  = "info"
)

// SubdomainPolicy is the policy for an existing subdomain: sp, else p.
func (r *Record) SubdomainPolicy() Policy {
	if r.SP != "" {
		return r.SP
	}
	return r.P
}

// NonExistentPolicy is the policy for a non-existent subdomain: np, else
// sp, else p (RFC 9989 §4.7, np).
func (r *Record) NonExistentPolicy() Policy {
	if r.NP != "" {
		return r.NP
	}
	return r.SubdomainPolicy()
}

// String renders the record canonically from its effective values: v and
// p first, defaults left out, URIs with their normalised size suffix. It
// parses back to the same record (FuzzParse checks this), so fixes can be
// built by changing a copy and rendering it.
func (r *Record) String() string {
	parts := []string{"v=DMARC1", "p=" + string(orNone(r.P))}
	if r.SP != "" {
		parts = append(parts, "sp="+string(r.SP))
	}
	if r.NP != "" {
		parts = append(parts, "np="+string(r.NP))
	}
	if r.ADKIM == Strict {
		parts = append(parts, "adkim=s")
	}
	if r.ASPF == Strict {
		parts = append(parts, "aspf=s")
	}
	if len(r.RUA) > 0 {
		parts = append(parts, "rua="+joinURIs(r.RUA))
	}
	if len(r.RUF) > 0 {
		parts = append(parts, "ruf="+joinURIs(r.RUF))
	}
	if len(r.FO) > 0 && !(len(r.FO) == 1 && r.FO[0] == "0") {
		parts = append(parts, "fo="+strings.Join(r.FO, ":"))
	}
	if r.PSD != "" && r.PSD != "u" {
		parts = append(parts, "psd="+r.PSD)
	}
	if r.T {
		parts = append(parts, "t=y")
	}
	if r.PCT != nil {
		parts = append(parts, "pct="+strconv.Itoa(*r.PCT))
	}
	if len(r.RF) > 0 {
		parts = append(parts, "rf="+strings.Join(r.RF, ":"))
	}
	if r.RI != nil {
		parts = append(parts, "ri="+strconv.FormatUint(uint64(*r.RI), 10))
	}
	return strings.Join(parts, "; ")
}

// clone returns a deep enough copy for building suggested records.
func (r *Record) clone() *Record {
	c := *r
	c.FO = append([]string(nil), r.FO...)
	c.RUA = append([]URI(nil), r.RUA...)
	c.RUF = append([]URI(nil), r.RUF...)
	c.RF = append([]string(nil), r.RF...)
	c.Tags = append([]Tag(nil), r.Tags...)
	return &c
}

func orNone(p Policy) Policy {
	if p == "" {
		return PolicyNone
	}
	return p
}

func joinURIs(us []URI) string {
	s := make([]string, len(us))
	for i, u := range us {
		s[i] = u.String()
	}
	return strings.Join(s, ",")
}
