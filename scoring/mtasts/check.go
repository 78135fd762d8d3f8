package mtasts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/mx"
)

// CheckPolicy is the catalogue id.
const CheckPolicy = "mtasts.policy"

// Checks returns mtasts.policy.
func Checks() []scoring.Check {
	return []scoring.Check{{ID: CheckPolicy, Title: "MTA-STS policy",
		Applies: func(ev scoring.Evidence) bool { return strings.TrimSpace(ev.Domain) != "" },
		Run:     run}}
}

// fetchTimeout bounds the whole policy fetch (RFC 8461 §3.3 asks senders
// for a timeout; a minute is their ceiling, a checker needs less).
const fetchTimeout = 10 * time.Second

// suggestedMaxAge is one week: RFC 8461 §3.2 recommends weeks or more.
const suggestedMaxAge = 604800

// URL is where the policy of domain is served (RFC 8461 §3.3).
func URL(domain string) string { return "https://mta-sts." + domain + "/.well-known/mta-sts.txt" }

func run(ctx context.Context, env *scoring.Env) scoring.Result {
	domain := scoring.NormalDomain(env.Evidence.Domain)
	name := "_mta-sts." + domain
	sts, ans := scoring.TaggedTXT(ctx, env.DNS, name, "v=STSv1")
	if ans.Outcome.Temporary() {
		return scoring.LookupError("MTA-STS", name, ans)
	}
	hosts, _, _ := mx.Hosts(ctx, env.DNS, domain)
	var mxNames []string
	for _, h := range hosts {
		if h.Host != "." {
			mxNames = append(mxNames, strings.ToLower(strings.TrimSuffix(h.Host, ".")))
		}
	}
	want := &Policy{Version: "STSv1", Mode: Testing, MaxAge: suggestedMaxAge, MX: mxNames}
	switch len(sts) {
	case 0:
		r := scoring.Result{Status: scoring.Info, Title: "No MTA-STS policy: mail to " + domain + " may be delivered without TLS",
			Detail: fmt.Sprintf("%s has no v=STSv1 TXT record (%s). Without MTA-STS (RFC 8461) a sender cannot tell a "+
				"stripped STARTTLS from a server without TLS.", name, ans.Outcome)}
		r.Fix = publishFix(domain, want, "Start in testing mode with TLS reports (tlsrpt.record), then switch to enforce.")
		return r
	case 1:
	default:
		return scoring.Result{Status: scoring.Fail,
			Title:  fmt.Sprintf("MTA-STS broken: %d v=STSv1 records at %s, senders ignore them all", len(sts), name),
			Detail: "RFC 8461 §3.1: with more than one record, senders behave as if there were none. Published:\n  " + strings.Join(sts, "\n  "),
			Fix: &scoring.Fix{Summary: "Keep one record (and change its id= whenever the policy changes):",
				Records: []scoring.DNSRecord{scoring.TXTRecord(name, "v=STSv1; id="+newID())}}}
	}
	rec, err := ParseRecord(sts[0])
	if err != nil {
		return scoring.Result{Status: scoring.Fail, Title: "MTA-STS record broken: " + err.Error(),
			Detail: fmt.Sprintf("%s TXT %q", name, sts[0]),
			Fix: &scoring.Fix{Summary: "Replace it with a valid record (a new id= tells senders to fetch the policy again):",
				Records: []scoring.DNSRecord{scoring.TXTRecord(name, "v=STSv1; id="+newID())}}}
	}
	lead := fmt.Sprintf("%s TXT %q (id=%s)\n", name, sts[0], rec.ID)
	text, ctype, ferr := fetch(ctx, env, domain)
	if ferr != nil {
		st := scoring.Fail
		if isTemporary(ferr) {
			st = scoring.Error
		}
		r := scoring.Result{Status: st, Title: "MTA-STS policy cannot be fetched: " + ferr.Error(),
			Detail: lead + fmt.Sprintf("GET %s: %v. Senders that cannot fetch a policy deliver as if there were none (RFC 8461 §3.3, §5).", URL(domain), ferr)}
		r.Fix = publishFix(domain, want, "Serve the policy file (the TXT record is already there).")
		r.Fix.Records = nil
		return r
	}
	p, perr := ParsePolicy(text)
	if perr != nil {
		r := scoring.Result{Status: scoring.Fail, Title: "MTA-STS policy file broken: " + perr.Error(),
			Detail: lead + "The file at " + URL(domain) + " as served:\n" + quote(text)}
		r.Fix = publishFix(domain, want, "Serve this policy file instead, and change id= in the TXT record so senders fetch it again.")
		return r
	}
	return judge(domain, name, lead, text, ctype, p, mxNames)
}

// judge grades a fetched, valid policy against the MX records.
func judge(domain, name, lead, text, ctype string, p *Policy, mxNames []string) scoring.Result {
	var lines []string
	var unmatched []string
	for _, h := range mxNames {
		if p.Matches(h) {
			lines = append(lines, fmt.Sprintf("MX %s matches the policy", h))
		} else {
			unmatched = append(unmatched, h)
			lines = append(lines, fmt.Sprintf("MX %s matches no mx: pattern", h))
		}
	}
	detail := lead + fmt.Sprintf("Policy at %s:\n%s%s", URL(domain), quote(text), strings.Join(lines, "\n"))
	res := scoring.Result{Status: scoring.Pass, Detail: detail,
		Title: fmt.Sprintf("MTA-STS %s: every MX matches the policy (max_age %d)", p.Mode, p.MaxAge)}
	if ct, _, _ := mime.ParseMediaType(ctype); ct != "text/plain" {
		res.Detail += fmt.Sprintf("\nServed as %q; RFC 8461 §3.2 says text/plain, and some senders insist.", ctype)
	}
	fixed := &Policy{Version: "STSv1", Mode: p.Mode, MaxAge: max(p.MaxAge, suggestedMaxAge), MX: slices.Clone(p.MX)}
	fixed.MX = append(fixed.MX, unmatched...)
	switch {
	case len(unmatched) > 0 && p.Mode == Enforce:
		res.Status = scoring.Fail
		res.Title = fmt.Sprintf("MTA-STS enforce: MX %s matches no mx: pattern, senders refuse to deliver to it", strings.Join(unmatched, ", "))
		res.Fix = publishFix(domain, fixed, "Add the MX hosts to the policy file and change id= in the TXT record (RFC 8461 §4.1).")
	case len(unmatched) > 0 && p.Mode == Testing:
		res.Status = scoring.Warn
		res.Title = fmt.Sprintf("MTA-STS testing: MX %s matches no mx: pattern (reported, not yet refused)", strings.Join(unmatched, ", "))
		res.Fix = publishFix(domain, fixed, "Add the MX hosts to the policy file and change id= in the TXT record (RFC 8461 §4.1).")
	case p.Mode == None:
		res.Status = scoring.Warn
		res.Title = "MTA-STS mode none: the policy is withdrawn"
		fixed.Mode = Testing
		res.Fix = publishFix(domain, fixed, "If withdrawing was not the intent, serve a testing (then enforce) policy.")
	case p.MaxAge < 86400:
		res.Status = scoring.Warn
		res.Title = fmt.Sprintf("MTA-STS max_age %d is under a day: a downgrade goes unnoticed once it expires", p.MaxAge)
		res.Fix = publishFix(domain, fixed, "Raise max_age to weeks (RFC 8461 §3.2).")
	case p.Mode == Testing:
		res.Status = scoring.Info
		res.Title = "MTA-STS testing: senders report TLS failures but still deliver"
		fixed.Mode = Enforce
		res.Fix = publishFix(domain, fixed, "Once the TLS reports show no failures, switch to enforce.")
	}
	return res
}

// publishFix is the policy file, where to serve it and the TXT record.
func publishFix(domain string, p *Policy, lead string) *scoring.Fix {
	return &scoring.Fix{
		Summary: lead + fmt.Sprintf(" Serve the file below at %s (HTTPS, a valid WebPKI certificate for mta-sts.%s, "+
			"Content-Type text/plain, no redirects) and publish the TXT record.", URL(domain), domain),
		Snippet: p.Text(),
		Records: []scoring.DNSRecord{scoring.TXTRecord("_mta-sts."+domain, "v=STSv1; id="+newID())},
		Manual: fmt.Sprintf("The policy file is served by a web server for mta-sts.%s, not published in DNS; "+
			"the TXT record goes in your zone.", domain),
	}
}

// newID is a fresh policy id: the time, which only grows (RFC 8461 §3.1).
func newID() string { return time.Now().UTC().Format("20060102150405") }

func quote(text string) string {
	var b strings.Builder
	for i, l := range strings.Split(strings.TrimRight(strings.ReplaceAll(text, "\r\n", "\n"), "\n"), "\n") {
		if i == 20 {
			b.WriteString("  …\n")
			break
		}
		b.WriteString("  " + l + "\n")
	}
	return b.String()
}

// errTemporary marks a fetch failure that may not last (a timeout).
var errTemporary = errors.New("temporary")

func isTemporary(err error) bool { return errors.Is(err, errTemporary) }

// fetch GETs the policy: no redirects, at most MaxPolicySize bytes,
// within fetchTimeout (RFC 8461 §3.3).
func fetch(ctx context.Context, env *scoring.Env, domain string) (text, ctype string, err error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	client := env.HTTPS
	if client == nil {
		client = defaultClient(env.DNS)
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, URL(domain), nil)
	if err != nil {
		return "", "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", "", describe(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("HTTP %s (senders follow no redirect and need 200)", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxPolicySize+1))
	if err != nil {
		return "", "", describe(err)
	}
	if len(b) > MaxPolicySize {
		return "", "", fmt.Errorf("the file is over %d bytes", MaxPolicySize)
	}
	return string(b), resp.Header.Get("Content-Type"), nil
}

// describe turns a transport error into the fact the user acts on.
func describe(err error) error {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ne net.Error
	switch {
	case errors.As(err, &hn), errors.As(err, &ua), errors.As(err, &cv):
		return fmt.Errorf("the certificate is not valid for the name (%v)", innermost(err))
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("%w: no answer within %s", errTemporary, fetchTimeout)
	}
	return errors.New(innermost(err).Error())
}

func innermost(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}

// defaultClient resolves through r (never the system resolver) and dials
// port 443 with a timeout; certificates verify against the system roots.
func defaultClient(r *dnsx.Resolver) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{
		Proxy:                 nil,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 5 * time.Second,
		DisableKeepAlives:     true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			addrs, out := r.LookupAddrs(ctx, host)
			if len(addrs) == 0 {
				if out.Temporary() {
					return nil, fmt.Errorf("%w: %s: %s", errTemporary, host, out)
				}
				return nil, fmt.Errorf("%s has no address (%s)", host, out)
			}
			var last error
			for _, a := range addrs {
				c, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
				if err == nil {
					return c, nil
				}
				last = err
			}
			return nil, last
		},
	}}
}
