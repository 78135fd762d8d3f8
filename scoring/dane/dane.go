// Package dane reports, for information, whether a domain's MX hosts
// publish DANE TLSA records (RFC 7672, RFC 7671) at _25._tcp.<mx> and
// whether the resolver validated them with DNSSEC (its AD bit). It does
// not connect to the MX hosts to compare their certificates.
package dane

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/miekg/dns"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/mx"
)

// CheckTLSA is the catalogue id.
const CheckTLSA = "dane.tlsa"

// maxHosts bounds the MX hosts examined.
const maxHosts = 10

// Checks returns dane.tlsa.
func Checks() []scoring.Check {
	return []scoring.Check{{ID: CheckTLSA, Title: "DANE for the MX hosts",
		Applies: func(ev scoring.Evidence) bool { return strings.TrimSpace(ev.Domain) != "" },
		Run:     run}}
}

// Usages of RFC 6698 §2.1.1 by name; SMTP uses only 2 and 3 (RFC 7672 §3.1).
var usages = map[uint8]string{0: "PKIX-TA", 1: "PKIX-EE", 2: "DANE-TA", 3: "DANE-EE"}

// Judge grades one TLSA record for SMTP: the problem, or "".
func Judge(t *dns.TLSA) string {
	switch {
	case t.Usage == 0 || t.Usage == 1:
		return fmt.Sprintf("usage %d (%s): SMTP senders treat PKIX usages as unusable (RFC 7672 §3.1.3); publish 3 1 1 (DANE-EE) or 2 1 1 (DANE-TA)", t.Usage, usages[t.Usage])
	case t.Usage > 3:
		return fmt.Sprintf("usage %d is not defined (RFC 6698 §2.1.1)", t.Usage)
	case t.Selector > 1:
		return fmt.Sprintf("selector %d is not defined (RFC 6698 §2.1.2)", t.Selector)
	case t.MatchingType > 2:
		return fmt.Sprintf("matching type %d is not defined (RFC 6698 §2.1.3)", t.MatchingType)
	}
	data, err := hex.DecodeString(t.Certificate)
	if err != nil {
		return "the association data is not hexadecimal"
	}
	if want := map[uint8]int{1: 32, 2: 64}[t.MatchingType]; want != 0 && len(data) != want {
		return fmt.Sprintf("matching type %d needs %d bytes of digest, the record has %d", t.MatchingType, want, len(data))
	}
	if t.MatchingType == 0 && len(data) == 0 {
		return "no association data"
	}
	return ""
}

func run(ctx context.Context, env *scoring.Env) scoring.Result {
	domain := scoring.NormalDomain(env.Evidence.Domain)
	mxAns := env.DNS.Lookup(ctx, domain, dnsx.TypeMX)
	hosts, implicit, out := mx.Hosts(ctx, env.DNS, domain)
	switch {
	case out.Temporary():
		return scoring.Result{Status: scoring.Error, Title: "DANE: could not look up the MX of " + domain + " (" + out.String() + ")"}
	case len(hosts) == 0 || mx.IsNull(hosts):
		return scoring.Result{Status: scoring.Skip, Title: "DANE: " + domain + " has no MX hosts (see mx.record)"}
	}
	var lines, problems []string
	with, validated, temporary := 0, 0, 0
	for i, h := range hosts {
		if i == maxHosts {
			break
		}
		host := strings.TrimSuffix(h.Host, ".")
		name := "_25._tcp." + host
		ans := env.DNS.Lookup(ctx, name, dnsx.TypeTLSA)
		var recs []*dns.TLSA
		for _, rr := range ans.Records {
			if t, ok := rr.(*dns.TLSA); ok {
				recs = append(recs, t)
			}
		}
		switch {
		case ans.Outcome.Temporary():
			temporary++
			lines = append(lines, fmt.Sprintf("%s TLSA: %s", name, ans.Outcome))
			continue
		case len(recs) == 0:
			lines = append(lines, fmt.Sprintf("%s TLSA: none (%s)", name, ans.Outcome))
			continue
		}
		with++
		state := "not validated (no AD bit)"
		if ans.Authenticated {
			validated++
			state = "DNSSEC-validated (AD)"
		}
		for _, t := range recs {
			line := fmt.Sprintf("%s TLSA %d %d %d %s — %s", name, t.Usage, t.Selector, t.MatchingType, short(t.Certificate), state)
			if p := Judge(t); p != "" {
				line += "; " + p
				problems = append(problems, fmt.Sprintf("%s: %s", name, p))
			}
			lines = append(lines, line)
		}
	}
	if implicit {
		lines = append(lines, "No MX records: the domain's own address is the implicit MX.")
	}
	mxState := "the MX records are not DNSSEC-validated (no AD bit)"
	if mxAns.Authenticated {
		mxState = "the MX records are DNSSEC-validated"
	}
	lines = append(lines, mxState+"; DANE applies only to MX hosts reached through validated MX records (RFC 7672 §2.2.1).",
		"The AD bit is only as trustworthy as the path to the resolver: use a local validating resolver (--resolver 127.0.0.1:53).",
		"The TLSA data is not compared with the MX hosts' certificates (no connection is made).")
	res := scoring.Result{Detail: strings.Join(lines, "\n")}
	fix := &scoring.Fix{Summary: "For each MX host, publish in its DNSSEC-signed zone `_25._tcp.<mx> TLSA 3 1 1 <SHA-256 of the " +
		"certificate's public key>` (openssl x509 -in cert.pem -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256); " +
		"publish the next key's record before a key rollover (RFC 7671 §8.1).",
		Manual: "TLSA data comes from the MX host's certificate and needs a DNSSEC-signed zone: set at the DNS provider that signs it."}
	switch {
	case temporary > 0 && with == 0:
		res.Status, res.Title = scoring.Error, "DANE: could not look up TLSA records"
	case with == 0:
		res.Status, res.Title = scoring.Info, "No DANE TLSA records for the MX hosts of "+domain
		res.Fix = fix
	case len(problems) > 0:
		res.Status, res.Title = scoring.Warn, "DANE TLSA record unusable: "+problems[0]
		res.Fix = fix
	case validated < with || !mxAns.Authenticated:
		res.Status, res.Title = scoring.Warn, "DANE TLSA records published but not DNSSEC-validated: senders ignore them (RFC 7672 §2.2)"
		res.Fix = fix
	default:
		res.Status, res.Title = scoring.Pass, fmt.Sprintf("DANE: %d MX host(s) publish validated TLSA records", with)
	}
	return res
}

func short(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}
