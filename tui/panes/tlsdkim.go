package panes

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

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

// TLS shows what the last send learned about transport security.
type TLS struct {
	static
	Offered bool // the server announced STARTTLS
	Info    *smtpc.TLSInfo
	Sent    bool // a send has happened
	Route   string
}

// NewTLS returns the pane before any connection.
func NewTLS(ctx *Context) *TLS { return &TLS{static: static{ctx: ctx}} }

// Title names the pane.
func (p *TLS) Title() string { return "TLS" }

// View renders the pane body.
func (p *TLS) View() string { return p.fit(p.lines(p.ctx.Theme, p.w)) }

func (p *TLS) lines(th themes.Theme, w int) []string {
	if !p.Sent {
		return []string{th.Muted.Render("No connection yet.")}
	}
	var l []string
	kv := func(k, v string) { l = append(l, th.Muted.Render(fmt.Sprintf("%-9s", k))+" "+safetext.Line(v, 0)) }
	if p.Route == "sendmail" {
		return []string{th.Muted.Render("Handed to the local MTA: it chooses TLS for the onward hop.")}
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

// DKIM shows the signing key, what was signed, and how the signature of
// the exact bytes sent verified.
type DKIM struct {
	static
	Signed    *sign.Info
	Published []dkim.SignatureResult
	Note      string
}

// NewDKIM returns the pane before any send.
func NewDKIM(ctx *Context) *DKIM { return &DKIM{static: static{ctx: ctx}} }

// Title names the pane.
func (p *DKIM) Title() string { return "DKIM" }

// View renders the pane body.
func (p *DKIM) View() string { return p.fit(p.lines(p.ctx.Theme, p.w)) }

func (p *DKIM) lines(th themes.Theme, w int) []string {
	if p.Signed == nil {
		msg := "Not signing: no DKIM key loaded."
		if p.Note != "" {
			msg = p.Note
		}
		return Wrap(msg, w)
	}
	s := p.Signed
	var l []string
	kv := func(k, v string) { l = append(l, th.Muted.Render(fmt.Sprintf("%-9s", k))+" "+v) }
	kv("key", fmt.Sprintf("%s %d bits", s.KeyType, s.Bits))
	kv("record", s.Selector+"._domainkey."+s.Domain)
	kv("canon", s.Canonicalization)
	kv("signed", strings.Join(s.Headers, ":"))
	kv("bh", s.BodyHash)
	// A send whose signature does not verify against the key itself is
	// refused before connecting, so a signed send verified.
	st, sym := th.Status("pass")
	l = append(l, st.Render(sym+" verifies against the private key"))
	for _, r := range p.Published {
		status := "pass"
		if string(r.Status) != "pass" {
			status = "fail"
			if string(r.Status) == "temperror" {
				status = "error"
			}
		}
		st, sym := th.Status(status)
		l = append(l, Wrap(st.Render(sym)+" published record: "+safetext.Line(r.Explain(), 0), w)...)
	}
	return l
}
