package headers

import (
	"fmt"
	"strings"
	"time"

	"github.com/mailcred/mailcred/scoring"
)

// checkFrom: exactly one From field holding exactly one parseable mailbox
// (RFC 5322 §3.6: From is required; §3.6.2: several authors need a Sender
// field, and Gmail and DMARC (RFC 7489 §6.6.1) refuse several anyway).
func checkFrom(m *Message, _ scoring.Evidence, _ time.Time) scoring.Result {
	fields := m.Get("From")
	switch len(fields) {
	case 0:
		return scoring.Result{
			Status: scoring.Fail,
			Title:  "No From: header",
			Detail: "RFC 5322 §3.6 requires exactly one From: field. Gmail refuses mail without it, " +
				"DMARC has no domain to check, and SpamAssassin scores MISSING_FROM.",
			Fix: &scoring.Fix{Summary: "Add a From: header with the sender's address on your own domain.",
				Snippet: "From: Your Name <you@example.com>"},
		}
	case 1:
	default:
		return duplicate("From", fields)
	}
	f := fields[0]
	addrs, err := addressParser().ParseList(f.Value)
	switch {
	case err != nil:
		return scoring.Result{
			Status: scoring.Fail,
			Title:  "From: header does not parse as an address",
			Detail: fmt.Sprintf("line %d: From: %s\n%v (RFC 5322 §3.4 address syntax)", f.Line, clip(f.Value, 200), err),
			Fix: &scoring.Fix{Summary: "Write From as `Name <local@domain>` or `local@domain`; quote display names " +
				"with special characters and encode non-ASCII ones (RFC 2047).",
				Snippet: `From: "Example, Inc." <news@example.com>`},
		}
	case len(addrs) == 0:
		return scoring.Result{
			Status: scoring.Fail,
			Title:  "From: header holds no address",
			Detail: fmt.Sprintf("line %d: From: %s (an empty group has no author)", f.Line, clip(f.Value, 200)),
			Fix:    &scoring.Fix{Summary: "Put the sender's address in From:.", Snippet: "From: you@example.com"},
		}
	case len(addrs) > 1:
		list := make([]string, len(addrs))
		for i, a := range addrs {
			list[i] = a.Address
		}
		return scoring.Result{
			Status: scoring.Fail,
			Title:  fmt.Sprintf("From: holds %d addresses; receivers want one", len(addrs)),
			Detail: fmt.Sprintf("From: %s\nRFC 5322 §3.6.2 allows several authors only with a Sender: field, "+
				"but Gmail refuses such mail and DMARC (RFC 7489 §6.6.1) lets receivers reject it.", strings.Join(list, ", ")),
			Fix: &scoring.Fix{Summary: "Keep one address in From:; put the others in Reply-To: or Cc:."},
		}
	}
	res := scoring.Result{Status: scoring.Pass, Title: "From: " + addrs[0].Address}
	res.Detail = fmt.Sprintf("One From: field (line %d) with one address, domain %s.", f.Line, scoring.DomainOf(addrs[0].Address))
	if eightBit([]byte(f.Value)) {
		res.Status = scoring.Warn
		res.Title = "From: holds raw 8-bit text"
		res.Detail += "\nThe field has bytes outside ASCII that are not RFC 2047 encoded; receivers without " +
			"SMTPUTF8 (RFC 6532) may reject it or show garbage."
		res.Fix = &scoring.Fix{Summary: "Encode non-ASCII display names as RFC 2047 encoded-words " +
			"(mailcred's composer does), e.g. From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.com>"}
	}
	return res
}

// checkTo: a To field is present (SpamAssassin's MISSING_HEADERS fires
// without one, whatever Cc says: the story's −1.2 on mail-tester), once,
// and parses. RFC 5322 §3.6.3 itself makes To optional.
func checkTo(m *Message, _ scoring.Evidence, _ time.Time) scoring.Result {
	to := m.Get("To")
	if cc := m.Get("Cc"); len(cc) > 1 {
		return duplicate("Cc", cc)
	}
	switch len(to) {
	case 0:
		detail := "RFC 5322 §3.6.3 makes To: optional, but SpamAssassin's MISSING_HEADERS rule scores a message " +
			"without it (mail-tester takes 1.2 points off for it)."
		if len(m.Get("Cc")) > 0 {
			detail += " A Cc: field does not count."
		}
		return scoring.Result{
			Status: scoring.Fail,
			Title:  "No To: header",
			Detail: detail,
			Fix: &scoring.Fix{Summary: "Add a To: header naming the recipient. For mail sent only to Bcc recipients, " +
				"use the empty group `To: undisclosed-recipients:;`. In mailcred's workbench, fill in the To field (press e).",
				Snippet: "To: recipient@example.org"},
		}
	case 1:
	default:
		return duplicate("To", to)
	}
	f := to[0]
	addrs, err := addressParser().ParseList(f.Value)
	if err != nil {
		return scoring.Result{
			Status: scoring.Warn,
			Title:  "To: header does not parse",
			Detail: fmt.Sprintf("line %d: To: %s\n%v (RFC 5322 §3.4)", f.Line, clip(f.Value, 200), err),
			Fix: &scoring.Fix{Summary: "Write To: as a comma-separated list of `Name <local@domain>` or `local@domain`.",
				Snippet: "To: Alice <alice@example.org>, bob@example.org"},
		}
	}
	if len(addrs) == 0 {
		return scoring.Result{Status: scoring.Pass, Title: "To: is an empty group (" + clip(f.Value, 60) + ")",
			Detail: "An empty group such as undisclosed-recipients:; satisfies filters while keeping Bcc recipients hidden."}
	}
	return scoring.Result{Status: scoring.Pass, Title: fmt.Sprintf("To: %s", plural(len(addrs), "recipient")),
		Detail: fmt.Sprintf("line %d: To: %s", f.Line, clip(f.Value, 200))}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
