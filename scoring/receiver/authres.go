package receiver

import (
	"strings"

	"github.com/emersion/go-msgauth/authres"

	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dmarc"
)

// maxParam bounds one parameter value: a hostile message must not make
// the header field unbounded.
const maxParam = 200

// AuthenticationResults renders the verdict as the value of an RFC 8601
// Authentication-Results header field (without the "Authentication-Results:"
// name), with hostname as the authserv-id: spf for the MAIL FROM identity
// (smtp.mailfrom) and, when checked, the HELO identity (smtp.helo) (RFC
// 8601 §2.7.2); one dkim result per signature with header.d, header.s,
// header.i and header.a (§2.7.1); dmarc with header.from (RFC 7489 §11.2).
// Values that came from the message are cleaned so the field always
// parses back (authres.Parse); it is one line, results separated by "; ".
func AuthenticationResults(hostname string, v *Verdict) string {
	var rs []authres.Result
	if v.SPF != nil {
		from := v.SPF.Sender
		if strings.HasSuffix(from, "@") {
			from = "" // "postmaster@" of a bounce with no HELO name names nothing
		}
		rs = append(rs, &authres.SPFResult{Value: authres.ResultValue(v.SPF.Result), From: clean(from)})
	}
	if v.HELOSPF != nil {
		rs = append(rs, &authres.SPFResult{Value: authres.ResultValue(v.HELOSPF.Result), Helo: clean(v.HELO)})
	}
	switch {
	case v.DKIMErr != nil:
		rs = append(rs, &authres.DKIMResult{Value: authres.ResultPermError, Reason: clean(v.DKIMErr.Error())})
	case len(v.DKIM) == 0:
		rs = append(rs, &authres.DKIMResult{Value: authres.ResultNone})
	}
	for _, s := range v.DKIM {
		params := map[string]string{
			"header.d": clean(s.Domain),
			"header.s": clean(s.Selector),
			"header.i": clean(s.Identifier),
			"header.a": clean(s.Algorithm),
		}
		switch {
		case s.Status != dkim.Pass:
			params["reason"] = clean(s.Reason)
		case s.KeyTesting:
			params["reason"] = "key in testing mode (t=y)"
		}
		rs = append(rs, &authres.GenericResult{Method: "dkim", Value: authres.ResultValue(s.Status), Params: params})
	}
	switch {
	case v.DMARC != nil:
		rs = append(rs, &authres.DMARCResult{Value: authres.ResultValue(v.DMARC.Result), From: clean(v.FromDomain), Reason: dmarcReason(v.DMARC)})
	case v.FromProblem != "":
		rs = append(rs, &authres.DMARCResult{Value: authres.ResultPermError, Reason: clean(v.FromProblem)})
	}
	parts := []string{authservID(hostname)}
	for _, r := range rs {
		// Format one result at a time: for a result without parameters
		// authres leaves a trailing space.
		parts = append(parts, strings.TrimSpace(strings.TrimPrefix(authres.Format("", []authres.Result{r}), ";")))
	}
	return strings.Join(parts, "; ")
}

// dmarcReason is the policy a receiver would apply on fail, and why a
// result is not pass or fail.
func dmarcReason(e *dmarc.Evaluation) string {
	switch e.Result {
	case dmarc.ResultFail:
		return clean("no aligned SPF or DKIM pass, policy " + string(e.Policy))
	case dmarc.ResultPass:
		return ""
	}
	if e.Err != nil {
		return clean(e.Err.Error())
	}
	return ""
}

// authservID keeps the identifier a token (RFC 8601 §2.5): letters,
// digits, dots, hyphens and underscores; "mailcred" when nothing is left.
func authservID(h string) string {
	h = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			return r
		}
		return -1
	}, h)
	if h == "" {
		return "mailcred"
	}
	return h
}

// clean makes a value safe inside the field: printable US-ASCII only
// (RFC 8601 §2.2 without RFC 6532), no ";" (which would end the result),
// bounded length.
func clean(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n >= maxParam {
			b.WriteString("...")
			break
		}
		switch {
		case r == '§':
			b.WriteString("section")
		case r == ';':
			b.WriteByte(',')
		case r < 0x20 || r > 0x7e:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
		n++
	}
	return b.String()
}
