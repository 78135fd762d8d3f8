package panes

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/safetext"
	"github.com/mailcred/mailcred/session/sign"
	"github.com/mailcred/mailcred/session/smtpc"
	"github.com/mailcred/mailcred/themes"
)

// static is the part of a component every read-only pane shares: the
// context and the size; no keys of its own.
type static struct {
	ctx  *Context
	w, h int
}

func (s *static) Init() tea.Cmd             { return nil }
func (s *static) Update(tea.Msg) tea.Cmd    { return nil }
func (s *static) SetSize(w, h int)          { s.w, s.h = w, h }
func (s *static) ShortHelp() []key.Binding  { return nil }
func (s *static) FullHelp() [][]key.Binding { return nil }
func (s *static) fit(lines []string) string { return strings.Join(Fit(lines, s.w, s.h), "\n") }

// TLS shows the connection's transport security: live while a send is
// under way (connecting, STARTTLS offered, the handshake), then what the
// send learned.
type TLS struct {
	static
	Offered bool // the server announced STARTTLS
	Info    *smtpc.TLSInfo
	Sent    bool // a send has finished
	Route   string
	// live is the state during a send ("" when none is under way).
	live string
}

// NewTLS returns the pane before any connection.
func NewTLS(ctx *Context) *TLS { return &TLS{static: static{ctx: ctx}} }

// Title names the pane.
func (p *TLS) Title() string { return "TLS" }

// View renders the pane body.
func (p *TLS) View() string { return p.fit(p.lines(p.ctx.Theme, p.w)) }

// Begin starts showing a new send's connection.
func (p *TLS) Begin() {
	*p = TLS{static: p.static, live: "Connecting…"}
}

// Observe follows a send's transcript events as they happen.
func (p *TLS) Observe(e smtpc.Event) {
	if p.live == "" {
		return
	}
	switch e.Kind {
	case smtpc.KindConnect:
		if len(e.Lines) > 0 {
			p.live = e.Lines[0]
		}
		p.Info, p.Offered = nil, false
	case smtpc.KindReceived:
		for _, l := range e.Lines {
			if len(l) > 4 && strings.EqualFold(strings.TrimSpace(l[4:]), "STARTTLS") {
				p.Offered = true
			}
		}
	case smtpc.KindTLS:
		p.Info = e.TLS
		p.live = "Encrypted (TLS)"
	case smtpc.KindDone:
		p.live = "Connection closed"
	}
}

// Abort ends a send that never connected (nothing was learned).
func (p *TLS) Abort() { p.live = "" }

// Finish shows what the send learned.
func (p *TLS) Finish(offered bool, info *smtpc.TLSInfo, route string) {
	p.Sent, p.Offered, p.Info, p.Route, p.live = true, offered, info, route, ""
}

func (p *TLS) lines(th themes.Theme, w int) []string {
	if p.live != "" {
		l := Wrap(safetext.Line(p.live, 0), w)
		if p.Offered {
			l = append(l, th.Muted.Render("STARTTLS offered"))
		}
		if p.Info != nil {
			l = append(l, th.Muted.Render(fmt.Sprintf("%-9s", "protocol"))+" "+p.Info.Version,
				th.Muted.Render(fmt.Sprintf("%-9s", "cipher"))+" "+p.Info.CipherSuite)
		}
		return l
	}
	if !p.Sent {
		return []string{th.Muted.Render("No connection yet: press s to send.")}
	}
	var l []string
	kv := func(k, v string) { l = append(l, th.Muted.Render(fmt.Sprintf("%-9s", k))+" "+safetext.Line(v, 0)) }
	if (p.Route == "sendmail" || p.Route == "mta") && p.Info == nil {
		// The local MTA made the onward connection; unless its own report
		// said how (TLS facts in Info), nothing is known of its TLS.
		return Wrap("Handed to the local MTA: it chooses TLS for the onward hop.", w)
	}
	offered := "no"
	if p.Offered {
		offered = "yes"
	}
	kv("STARTTLS", "offered: "+offered)
	if p.Info == nil {
		st, sym := th.Status("warn")
		l = append(l, st.Render(sym+" sent in plaintext"))
		return l
	}
	kv("protocol", p.Info.Version)
	kv("cipher", p.Info.CipherSuite)
	if len(p.Info.Chain) > 0 {
		leaf := p.Info.Chain[0]
		kv("subject", leaf.Subject)
		if len(leaf.SANs) > 0 {
			kv("names", strings.Join(leaf.SANs, ", "))
		}
		kv("issuer", leaf.Issuer)
		kv("expires", leaf.NotAfter.Format("2006-01-02"))
	}
	if p.Info.Verified {
		st, sym := th.Status("pass")
		l = append(l, st.Render(sym+" certificate valid for "+safetext.Line(p.Info.ServerName, 0)))
	} else {
		st, sym := th.Status("warn")
		l = append(l, st.Render(sym+" not verified for "+safetext.Line(p.Info.ServerName, 0)))
		l = append(l, Wrap(safetext.Line(p.Info.VerifyError, 0)+" (opportunistic TLS still encrypts; MTAs deliver anyway)", w)...)
	}
	return l
}

// DKIM shows the signing setup before any send — the key loaded, its
// selector and whether the published record matches it, as the checks
// found — then what the last send signed and how it verified.
type DKIM struct {
	static
	// The setup: from the evidence of the last check run.
	domain, selector string
	key              string // "RSA 2048 bits"; "" when no key is loaded
	record, match    *scoring.Result
	// The last send.
	Signed *sign.Info
	// Offline and Published verify the message as sent against the key
	// itself and against the record in DNS.
	Offline, Published []dkim.SignatureResult
}

// NewDKIM returns the pane before any check ran.
func NewDKIM(ctx *Context) *DKIM { return &DKIM{static: static{ctx: ctx}} }

// Title names the pane.
func (p *DKIM) Title() string { return "DKIM" }

// View renders the pane body.
func (p *DKIM) View() string { return p.fit(p.lines(p.ctx.Theme, p.w)) }

// SetSetup shows the signing setup the checks judge.
func (p *DKIM) SetSetup(ev scoring.Evidence) {
	p.domain, p.selector, p.key = ev.Domain, ev.Selector, describeKey(ev.DKIMKey)
}

// Observe takes the DKIM checks' results, so the pane says what they say.
func (p *DKIM) Observe(r scoring.Result) {
	switch r.ID {
	case "dkim.record":
		p.record = &r
	case "dkim.key-match":
		p.match = &r
	}
}

// describeKey names a key's type and size, never its material.
func describeKey(k crypto.Signer) string {
	switch pub := publicKey(k).(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d bits", pub.N.BitLen())
	case ed25519.PublicKey:
		return "Ed25519"
	case nil:
		return ""
	}
	return "a key"
}

func publicKey(k crypto.Signer) crypto.PublicKey {
	if k == nil {
		return nil
	}
	return k.Public()
}

func (p *DKIM) setupLines(th themes.Theme, w int) []string {
	var l []string
	kv := func(k, v string) { l = append(l, th.Muted.Render(fmt.Sprintf("%-9s", k))+" "+v) }
	if p.key == "" {
		l = append(l, Wrap("Not signing: no DKIM key is loaded.", w)...)
	} else {
		kv("key", p.key+" (loaded)")
	}
	if p.selector != "" {
		kv("record", safetext.Line(p.selector+"._domainkey."+p.domain, 0))
	}
	for _, r := range []*scoring.Result{p.record, p.match} {
		if r == nil || r.Status == scoring.Pending || r.Status == scoring.Skip {
			continue
		}
		st, sym := th.Status(r.Status.String())
		l = append(l, Wrap(st.Render(sym)+" "+safetext.Line(r.Title, 0), w)...)
	}
	return l
}

func (p *DKIM) lines(th themes.Theme, w int) []string {
	if p.Signed == nil {
		return p.setupLines(th, w)
	}
	s := p.Signed
	var l []string
	kv := func(k, v string) { l = append(l, th.Muted.Render(fmt.Sprintf("%-9s", k))+" "+v) }
	kv("key", fmt.Sprintf("%s %d bits", s.KeyType, s.Bits))
	kv("record", safetext.Line(s.Selector+"._domainkey."+s.Domain, 0))
	kv("canon", s.Canonicalization)
	kv("signed", strings.Join(s.Headers, ":"))
	kv("bh", s.BodyHash)
	// Both verifications as the session made them: against the key
	// itself, then against the record DNS publishes.
	verdict := func(what string, r dkim.SignatureResult) {
		status := "pass"
		if string(r.Status) != "pass" {
			status = "fail"
			if string(r.Status) == "temperror" {
				status = "error"
			}
		}
		st, sym := th.Status(status)
		l = append(l, Wrap(st.Render(sym)+" "+what+": "+safetext.Line(r.Explain(), 0), w)...)
	}
	for _, r := range p.Offline {
		verdict("against the private key", r)
	}
	for _, r := range p.Published {
		verdict("published record", r)
	}
	return l
}
