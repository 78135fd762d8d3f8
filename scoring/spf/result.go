package spf

// Result is the result of check_host() (RFC 7208 §2.6).
type Result string

// The seven results of RFC 7208 §2.6.
const (
	None      Result = "none"      // no SPF record, or no valid domain to check
	Neutral   Result = "neutral"   // the domain makes no assertion about the IP
	Pass      Result = "pass"      // the IP is authorised
	Fail      Result = "fail"      // the IP is explicitly not authorised
	SoftFail  Result = "softfail"  // probably not authorised
	TempError Result = "temperror" // a transient (DNS) error; try again later
	PermError Result = "permerror" // the published records cannot be interpreted
)

// Evaluation is the outcome of one check_host() run with its reasons.
type Evaluation struct {
	Result Result `json:"result"`
	// Explanation is the expanded exp= text of a fail when the domain
	// publishes one (RFC 7208 §6.2), otherwise a human reason written by
	// mailcred (see FromExp).
	Explanation string `json:"explanation"`
	// FromExp is true when Explanation is the domain's own exp= text,
	// which comes from a third party and must be shown as such (§6.2).
	FromExp bool `json:"from_exp,omitempty"`
	// Lookups counts the DNS-querying terms evaluated (include, a, mx,
	// ptr, exists, redirect; RFC 7208 §4.6.4).
	Lookups int `json:"lookups"`
	// VoidLookups counts those terms whose query found nothing (NXDOMAIN
	// or no records, RFC 7208 §4.6.4).
	VoidLookups int `json:"void_lookups"`
	// Tree is the record of the checked domain with every include and
	// redirect that was followed under it.
	Tree *Node `json:"tree"`
	// Problems are lint findings met on the way (ptr used, duplicate
	// includes, terms after all, ...), each a sentence.
	Problems []string `json:"problems,omitempty"`
	// Domain and Sender are the <domain> and <sender> actually checked
	// (after the HELO substitution of RFC 7208 §2.4).
	Domain string `json:"domain"`
	Sender string `json:"sender"`
}

// Node is one SPF record in the evaluation tree.
type Node struct {
	Domain string `json:"domain"`
	// Record is the SPF record found, as published.
	Record string `json:"record,omitempty"`
	// Result is check_host()'s result for this domain.
	Result Result `json:"result,omitempty"`
	// Matched is the term that decided the result, if any.
	Matched string `json:"matched,omitempty"`
	// Lookups counts this record's own DNS-querying terms that were
	// evaluated; TotalLookups adds everything below it.
	Lookups      int `json:"lookups"`
	TotalLookups int `json:"total_lookups"`
	VoidLookups  int `json:"void_lookups,omitempty"`
	// Terms are the terms evaluated, in order (redirect last).
	Terms []*Term `json:"terms,omitempty"`
	// Error says why the result is an error or none.
	Error string `json:"error,omitempty"`
}

// Term is one evaluated term of a record.
type Term struct {
	Text string `json:"term"`
	// Lookup is true for terms counted towards the limit of 10.
	Lookup bool `json:"lookup,omitempty"`
	// Void is true when the term's DNS query found nothing.
	Void    bool `json:"void,omitempty"`
	Matched bool `json:"matched,omitempty"`
	// Target is the expanded target name, when it differs from the text.
	Target string `json:"target,omitempty"`
	// Names are the MX or PTR names the term looked at; Addrs the
	// addresses it compared the IP with.
	Names []string `json:"names,omitempty"`
	Addrs []string `json:"addrs,omitempty"`
	Error string   `json:"error,omitempty"`
	// Child is the record reached through include or redirect.
	Child *Node `json:"child,omitempty"`
}

// total fills in TotalLookups bottom-up and returns it.
func (n *Node) total() int {
	if n == nil {
		return 0
	}
	t := n.Lookups
	for _, term := range n.Terms {
		t += term.Child.total()
	}
	n.TotalLookups = t
	return t
}
