package demo

import (
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/smtptest"
)

// The providers' ids.
const (
	ProviderGmail   = "gmail"
	ProviderOutlook = "outlook"
	ProviderGMX     = "gmx"
	ProviderTester  = "tester"
)

// Provider is a receiving server of the world.
type Provider struct {
	ID        string // "gmail"
	Name      string // "Gmail-like"
	Domain    string // gmail.example
	Recipient string // the mailbox to send to
	MXHost    string // the domain's MX; its A record is 127.0.0.1
	// Addr is where the server listens, 127.0.0.1:Port. The MX record
	// means port 25; a session sends to Port instead.
	Addr string
	Port int
}

// rule is one refusal of a provider: at a stage, when a condition on the
// judgement holds, the reply of replyTable under that id.
type rule struct {
	reply string
	stage smtpx.Stage
	when  func(j *judgement) bool
}

// providerDef is a provider as data: who it is and what it refuses, first
// matching rule first.
type providerDef struct {
	id, name, domain, mxHost, recipient string
	rules                               []rule
	// folder sorts accepted mail: reasons for the spam folder, none for
	// the inbox; nil files everything in the inbox.
	folder func(j *judgement) []string
	tester bool // scores what it receives, like mail-tester
}

// providerTable is the world's receivers, built afresh on each call.
func providerTable() []providerDef {
	foreign := rule{"relay-denied", smtpx.RCPT, func(j *judgement) bool { return j.foreignRecipient() }}
	return []providerDef{
		{
			id: ProviderGmail, name: "Gmail-like", domain: "gmail.example",
			mxHost: "gmail-smtp-in.l.gmail.example", recipient: "alice@gmail.example",
			rules: []rule{
				foreign,
				// IPv6 senders need a forward-confirmed PTR before anything else.
				{"gmail.ipv6-guidelines", smtpx.RCPT, func(j *judgement) bool { return j.ip.Is6() && !j.fcrdns() }},
				// ... and SPF or DKIM, judged on the message.
				{"gmail.ipv6-guidelines", smtpx.EndOfData, func(j *judgement) bool { return j.ip.Is6() && !j.authenticated() }},
				{"gmail.unauthenticated", smtpx.EndOfData, func(j *judgement) bool { return !j.authenticated() }},
				{"gmail.dmarc-policy", smtpx.EndOfData, func(j *judgement) bool { return j.dmarcRejects() }},
			},
			folder: gmailFolder,
		},
		{
			id: ProviderOutlook, name: "Outlook-like", domain: "outlook.example",
			mxHost: "outlook-example.olc.protection.outlook.example", recipient: "bob@outlook.example",
			rules: []rule{
				// Both blocks answer MAIL FROM: content and DKIM cannot matter.
				{"outlook.s3140", smtpx.MAIL, func(j *judgement) bool { return j.st.outlookBlock }},
				{"outlook.spamhaus", smtpx.MAIL, func(j *judgement) bool { return j.zenListed() }},
				foreign,
			},
		},
		{
			id: ProviderGMX, name: "GMX-like", domain: "gmx.example",
			mxHost: "mx00.gmx.example", recipient: "carol@gmx.example",
			rules: []rule{
				{"gmx.bad-ptr", smtpx.Connect, func(j *judgement) bool { return !j.fcrdns() }},
				foreign,
			},
		},
		{
			id: ProviderTester, name: "mail-tester-like", domain: "tester.example",
			mxHost: "mx.tester.example", recipient: "test-7f3a9c@tester.example",
			rules:  []rule{foreign},
			tester: true,
		},
	}
}

// gmailFolder is where Gmail files an accepted message: the spam folder,
// with its reasons, until the sender has a DMARC policy and the message a
// To: header (the story: "with both fixed it is happy, yet Gmail still
// files the mail as spam").
func gmailFolder(j *judgement) []string {
	var reasons []string
	if j.dmarcNone() {
		reasons = append(reasons, "no DMARC policy for "+j.fromDomain()+": nothing tells Gmail the domain stands behind its mail")
	}
	if !j.hasTo() {
		reasons = append(reasons, "no To: header (SpamAssassin MISSING_HEADERS; looks like bulk mail)")
	}
	return reasons
}

// provider is a running receiver: its definition, its server, and the
// envelopes of the sessions in progress.
type provider struct {
	def providerDef
	srv *smtptest.Server

	mu        sync.Mutex
	envelopes map[string]*envelope // client address → its transaction
	mailbox   []Delivered
}

// envelope is what one session said before its message: go-smtp's policy
// hook at the end of data sees the message but not MAIL FROM.
type envelope struct {
	from string
	rcpt []string
}

// maxEnvelopes bounds the sessions tracked; a client that vanishes
// mid-transaction leaves an entry behind until the table is cleared.
const maxEnvelopes = 1000

// track records a command that was accepted, and returns the envelope of
// the session (a copy) for the end of data, which also forgets it.
func (p *provider) track(stage smtpx.Stage, client, arg string) envelope {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.envelopes == nil || len(p.envelopes) > maxEnvelopes {
		p.envelopes = map[string]*envelope{}
	}
	e := p.envelopes[client]
	if e == nil {
		e = &envelope{}
		p.envelopes[client] = e
	}
	switch stage {
	case smtpx.MAIL:
		*e = envelope{from: arg}
	case smtpx.RCPT:
		e.rcpt = append(e.rcpt, arg)
	case smtpx.EndOfData:
		delete(p.envelopes, client)
	}
	return envelope{from: e.from, rcpt: append([]string(nil), e.rcpt...)}
}

// info is the public description of the provider.
func (p *provider) info() Provider {
	out := Provider{ID: p.def.id, Name: p.def.name, Domain: p.def.domain, Recipient: p.def.recipient, MXHost: p.def.mxHost}
	if p.srv != nil {
		out.Addr = p.srv.Addr()
		if _, port, err := net.SplitHostPort(out.Addr); err == nil {
			out.Port, _ = strconv.Atoi(port)
		}
	}
	return out
}

// zone is the provider's DNS: SOA, the MX, and its host on loopback.
func (d providerDef) zone() string {
	return fmt.Sprintf("%s. 3600 IN SOA ns1.%s. hostmaster.%s. 1 7200 3600 1209600 300\n"+
		"%s. 3600 IN MX 5 %s.\n%s. 300 IN A 127.0.0.1\n",
		d.domain, d.domain, d.domain, d.domain, d.mxHost, d.mxHost)
}
