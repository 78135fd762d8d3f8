package receiver

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"net/netip"
	"strings"
	"sync"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dmarc"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/headers"
	"github.com/mailcred/mailcred/scoring/spf"
)

// Verdict is what a receiver concludes about one message: the inputs it
// used and each authentication result with its reasons.
type Verdict struct {
	IP       netip.Addr // the connecting IP; invalid when none is known
	MailFrom string     // the RFC5321.MailFrom SPF checked
	HELO     string     // the EHLO name, without a final dot

	// From is the RFC5322.From address and FromDomain its domain in lower
	// case: the DMARC Author Domain. FromProblem says why they are empty.
	From, FromDomain, FromProblem string

	// SPF is check_host() for the MAIL FROM identity (RFC 7208 §2.4); nil
	// when no connecting IP is known.
	SPF *spf.Evaluation
	// HELOSPF is check_host() for the HELO identity (RFC 7208 §2.3), when
	// a HELO name is known and differs from the MAIL FROM domain.
	HELOSPF *spf.Evaluation

	// DKIM holds one entry per DKIM-Signature field, top to bottom.
	DKIM []Signature
	// DKIMErr is set when the message could not be read for verification
	// at all (a malformed header section).
	DKIMErr error

	// DMARC is the DMARC evaluation; nil when there is no From domain.
	DMARC *dmarc.Evaluation
}

// Signature is one DKIM signature's verdict with what the key record and
// the From domain add to it.
type Signature struct {
	dkim.SignatureResult
	// KeyTesting is set when the key record carries t=y: the signer is
	// testing, and verifiers must not treat the message differently from
	// unsigned mail (RFC 6376 §3.6.1).
	KeyTesting bool
	// KeyRecord is the parsed key record when exactly one usable record
	// was found, for fixes that rewrite it; nil otherwise.
	KeyRecord *dkim.KeyRecord
	// Alignment compares d= with the From domain: "strict" (identical),
	// "relaxed" (the same Organizational Domain under the Public Suffix
	// List, RFC 7489 §3.2) or "" (not aligned, or no From domain). The
	// DMARC evaluation has the authoritative answer: DMARCAligned.
	Alignment string
	// DMARCAligned is set by Judge when the signature verified and d=
	// aligns with the From domain under the DMARC record's adkim= mode and
	// its Organizational Domain (RFC 9989 §4.4, tree walk); false when no
	// DMARC record applies.
	DMARCAligned bool
}

// FromSigned reports whether h= covers the From field, which RFC 6376
// §5.4 requires and go-msgauth enforces.
func (s Signature) FromSigned() bool {
	for _, h := range s.Headers {
		if strings.EqualFold(h, "from") {
			return true
		}
	}
	return false
}

// Judge evaluates the message in ev the way a receiver does, asking DNS
// through r. It never fails: what could not be evaluated is recorded in
// the verdict (temperror results, DKIMErr, FromProblem).
//
// SPF for MAIL FROM and for HELO, the DKIM signatures (their keys) and
// the DMARC record are asked for at once; DMARC is then evaluated with
// their results. Under a context from WithSharedVerdict the verdict is
// worked out once per message and shared by every check that needs it
// (each DKIM signature verified once).
func Judge(ctx context.Context, r *dnsx.Resolver, ev scoring.Evidence) *Verdict {
	if sv, ok := ctx.Value(sharedVerdictKey{}).(*sharedVerdict); ok {
		if v, ok := sv.get(ctx, r, ev); ok {
			return v
		}
	}
	return judge(ctx, r, ev)
}

func judge(ctx context.Context, r *dnsx.Resolver, ev scoring.Evidence) *Verdict {
	v := &Verdict{IP: ConnectingIP(ev), HELO: strings.TrimSuffix(strings.TrimSpace(ev.HELO), ".")}
	v.From, v.FromDomain, v.FromProblem = AuthorAddress(ev.Message)
	v.MailFrom = envelopeSender(ev, v.From)

	var wg sync.WaitGroup
	var heloSPF *spf.Evaluation
	startSPF(ctx, &wg, r, v.IP, v.MailFrom, v.HELO, &v.SPF, &heloSPF)
	wg.Go(func() { v.DKIM, v.DKIMErr = verifySignatures(ctx, r, ev.Message, v.FromDomain) })
	if v.FromDomain != "" {
		// Ask for the DMARC record now; it is evaluated below, with the
		// results, from the resolver's cache.
		wg.Go(func() { discoverDMARC(ctx, r, v.FromDomain) })
	}
	wg.Wait()
	if heloSPF != nil && !strings.EqualFold(v.HELO, v.SPF.Domain) {
		v.HELOSPF = heloSPF
	}
	if v.FromDomain != "" {
		in := dmarc.AlignmentInput{FromDomain: v.FromDomain}
		if v.SPF != nil {
			in.SPF = dmarc.SPFResult{Result: string(v.SPF.Result), Domain: v.SPF.Domain}
		}
		for _, s := range v.DKIM {
			in.DKIM = append(in.DKIM, dmarc.DKIMResult{Domain: s.Domain, Result: string(s.Status)})
		}
		v.DMARC = dmarc.Evaluate(ctx, r, in)
		for i := range v.DKIM {
			v.DKIM[i].DMARCAligned = dmarcAligned(ctx, r, v.DMARC, v.DKIM[i])
		}
	}
	return v
}

// startSPF starts check_host() for the MAIL FROM identity and, unless it
// is that identity already (a bounce's, or a sender at the HELO name:
// known from the names), for the HELO identity; nothing without an IP.
func startSPF(ctx context.Context, wg *sync.WaitGroup, r *dnsx.Resolver, ip netip.Addr, mailFrom, helo string, mf, h **spf.Evaluation) {
	if !ip.IsValid() {
		return
	}
	wg.Go(func() { *mf = spf.Evaluate(ctx, r, ip, mailFrom, helo) })
	if helo != "" && !strings.EqualFold(helo, spfDomain(mailFrom, helo)) {
		wg.Go(func() { *h = spf.Evaluate(ctx, r, ip, "", helo) })
	}
}

// discoverDMARC asks for the DMARC record of a From domain (and its tree
// walk): the evaluation proper comes later, from the resolver's cache.
func discoverDMARC(ctx context.Context, r *dnsx.Resolver, fromDomain string) {
	dmarc.Evaluate(ctx, r, dmarc.AlignmentInput{FromDomain: fromDomain})
}

// spfDomain is the domain check_host() is asked about for sender: its
// domain, or the HELO name for the null reverse-path (RFC 7208 §2.4).
func spfDomain(sender, helo string) string {
	if d := scoring.DomainOf(sender); d != "" {
		return d
	}
	return helo
}

// sharedVerdict is one message's verdict, worked out by the first check
// that asks for it and shared by the others.
type sharedVerdict struct {
	mu      sync.Mutex
	claimed bool
	key     verdictInputs
	done    chan struct{}
	v       *Verdict
}

// verdictInputs identify what a verdict is of: the same message (the same
// bytes, not a copy), resolver and connection.
type verdictInputs struct {
	r                      *dnsx.Resolver
	first                  *byte
	n                      int
	ip                     netip.Addr
	helo, mailFrom, domain string
}

func inputsOf(r *dnsx.Resolver, ev scoring.Evidence) verdictInputs {
	k := verdictInputs{r: r, n: len(ev.Message), ip: ConnectingIP(ev), helo: ev.HELO, mailFrom: ev.MailFrom, domain: ev.Domain}
	if len(ev.Message) > 0 {
		k.first = &ev.Message[0]
	}
	return k
}

type sharedVerdictKey struct{}

// WithSharedVerdict returns a context under which Judge evaluates a
// message once: the first call (Authentication-Results, dkim.signature,
// dmarc.alignment — whichever runs first) works the verdict out, the
// others wait for it and share it. It holds the first message and
// resolver Judge is called with; another message under the same context
// is judged on its own.
func WithSharedVerdict(ctx context.Context) context.Context {
	return context.WithValue(ctx, sharedVerdictKey{}, &sharedVerdict{})
}

// get returns the shared verdict for ev, working it out if it is the
// first to ask; ok is false when the context's verdict is another
// message's.
func (sv *sharedVerdict) get(ctx context.Context, r *dnsx.Resolver, ev scoring.Evidence) (*Verdict, bool) {
	k := inputsOf(r, ev)
	sv.mu.Lock()
	if !sv.claimed {
		sv.claimed, sv.key, sv.done = true, k, make(chan struct{})
		sv.mu.Unlock()
		defer close(sv.done)
		sv.v = judge(ctx, r, ev)
		return sv.v, true
	}
	same := sv.key == k
	sv.mu.Unlock()
	if !same {
		return nil, false
	}
	select {
	case <-sv.done:
		return sv.v, true
	case <-ctx.Done():
		return judge(ctx, r, ev), true // cancelled: every lookup says so
	}
}

// dmarcAligned applies RFC 9989 §4.4 to one verified signature, as
// dmarc.Evaluate does for the first aligned one: identical domains align;
// strict mode wants nothing else; relaxed mode wants the same
// Organizational Domain, found by a tree walk from d= (cached lookups).
func dmarcAligned(ctx context.Context, r *dnsx.Resolver, e *dmarc.Evaluation, s Signature) bool {
	d := strings.TrimSuffix(strings.ToLower(s.Domain), ".")
	switch {
	case s.Status != dkim.Pass || e.Record == nil || d == "":
		return false
	case d == e.FromDomain:
		return true
	case e.Record.ADKIM == dmarc.Strict || e.OrgDomain == "":
		return false
	case d != e.OrgDomain && !strings.HasSuffix(d, "."+e.OrgDomain):
		return false // an Organizational Domain is the name or an ancestor
	}
	org, err := dmarc.TreeWalkOrgDomain(ctx, r, d)
	return err == nil && org == e.OrgDomain
}

// ConnectingIP is the IP address a receiver saw the message come from:
// the local address of a send session (Evidence.SMTP.Local, "ip" or
// "ip:port"), else the first sending IP. It is invalid when neither is
// known.
func ConnectingIP(ev scoring.Evidence) netip.Addr {
	if ev.SMTP != nil && ev.SMTP.Local != "" {
		if ap, err := netip.ParseAddrPort(ev.SMTP.Local); err == nil {
			return ap.Addr().Unmap()
		}
		if a, err := netip.ParseAddr(ev.SMTP.Local); err == nil {
			return a.Unmap()
		}
	}
	if len(ev.IPs) > 0 {
		return ev.IPs[0].Unmap()
	}
	return netip.Addr{}
}

// envelopeSender is the MAIL FROM to check: Evidence.MailFrom, else
// postmaster@Domain (scoring's convention), else the From address.
func envelopeSender(ev scoring.Evidence, from string) string {
	switch {
	case strings.TrimSpace(ev.MailFrom) != "":
		return strings.TrimSpace(ev.MailFrom)
	case strings.TrimSpace(ev.Domain) != "":
		return "postmaster@" + strings.TrimSuffix(strings.ToLower(strings.TrimSpace(ev.Domain)), ".")
	}
	return from
}

// AuthorAddress returns the single RFC5322.From address of msg and its
// domain (lower case, no final dot), or a sentence saying why there is
// none. DMARC needs exactly one author (RFC 7489 §6.6.1, RFC 9989 §4.4).
func AuthorAddress(msg []byte) (addr, domain, problem string) {
	fields := headers.Parse(msg).Get("From")
	switch len(fields) {
	case 0:
		return "", "", "the message has no From: header, so there is no Author Domain to align with"
	case 1:
	default:
		return "", "", fmt.Sprintf("the message has %d From: headers; DMARC needs exactly one (RFC 7489 §6.6.1)", len(fields))
	}
	p := &mail.AddressParser{WordDecoder: &mime.WordDecoder{
		CharsetReader: func(_ string, r io.Reader) (io.Reader, error) { return r, nil },
	}}
	list, err := p.ParseList(fields[0].Value)
	switch {
	case err != nil:
		return "", "", fmt.Sprintf("the From: header does not parse as an address (%v)", err)
	case len(list) != 1:
		return "", "", fmt.Sprintf("the From: header holds %d addresses; DMARC needs exactly one (RFC 7489 §6.6.1)", len(list))
	}
	addr = list[0].Address
	domain = scoring.DomainOf(addr)
	if domain == "" {
		return addr, "", fmt.Sprintf("the From address %q has no domain", addr)
	}
	return addr, domain, ""
}

// verifySignatures verifies every DKIM-Signature against DNS and adds the
// key record's testing flag and the d= alignment with the From domain.
func verifySignatures(ctx context.Context, r *dnsx.Resolver, msg []byte, fromDomain string) ([]Signature, error) {
	// The verifier reads every header field into memory: the gate first.
	if err := headers.CheckLimits(msg); err != nil {
		return nil, err
	}
	results, err := dkim.VerifyPublished(ctx, msg, r)
	if err != nil {
		return nil, err
	}
	out := make([]Signature, len(results))
	for i, res := range results {
		s := Signature{SignatureResult: res, Alignment: alignment(res.Domain, fromDomain)}
		if res.Selector != "" && res.Domain != "" && res.Failure != dkim.DNSFailure {
			s.KeyRecord = keyRecord(ctx, r, res.Selector, res.Domain)
			s.KeyTesting = s.KeyRecord != nil && s.KeyRecord.Testing()
		}
		out[i] = s
	}
	return out, nil
}

// keyRecord is the one usable key record at selector._domainkey.domain,
// or nil. The verifier has just asked the same name, so this is a cache
// hit.
func keyRecord(ctx context.Context, r *dnsx.Resolver, selector, domain string) *dkim.KeyRecord {
	ans := r.Lookup(ctx, dkim.RecordName(selector, domain), dnsx.TypeTXT)
	var found *dkim.KeyRecord
	for _, txt := range ans.JoinedTXT() {
		rec, _, err := dkim.ParseKeyRecord(txt)
		if err != nil {
			continue
		}
		if found != nil {
			return nil // several usable records: ambiguous
		}
		found = rec
	}
	return found
}

// alignment compares a DKIM d= with the From domain under the Public
// Suffix List (RFC 7489 §3.1.1).
func alignment(d, fromDomain string) string {
	d = strings.TrimSuffix(strings.ToLower(d), ".")
	switch {
	case d == "" || fromDomain == "":
		return ""
	case d == fromDomain:
		return "strict"
	}
	if org := dmarc.OrganizationalDomain(d); org != "" && org == dmarc.OrganizationalDomain(fromDomain) {
		return "relaxed"
	}
	return ""
}
