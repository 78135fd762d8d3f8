package cli

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"fmt"
	"io"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"

	"github.com/mailcred/mailcred/cmd/mailcred/cli/render"
	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/safetext"
	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session"
	"github.com/mailcred/mailcred/session/smtpc"
	"github.com/mailcred/mailcred/tui/panes"
)

// sendOutput prints a send: where it goes, the live transcript, the
// DKIM summary, the outcome explained and the score — or, with --format
// json, one JSON document at the end.
type sendOutput struct {
	json  bool
	out   io.Writer // results: stdout (colour-aware in text mode)
	notes io.Writer // the destination and the question: stdout in text mode, stderr with JSON
	text  render.Text
	b     built

	mu sync.Mutex // the transcript is printed as it arrives
}

func (g *globals) newSendOutput(b built) (*sendOutput, error) {
	if g.format == "json" {
		return &sendOutput{json: true, out: g.io.Out, notes: g.io.Err, b: b}, nil
	}
	w, text, err := g.textOut()
	if err != nil {
		return nil, err
	}
	return &sendOutput{out: w, notes: w, text: text, b: b}, nil
}

// label is the width of the left column.
const label = 12

// line writes "label     text", wrapping text under its column.
func (s *sendOutput) line(w io.Writer, name, text string) {
	width := s.text.Width
	if width < 40 {
		width = 80
	}
	pad := strings.Repeat(" ", label)
	for i, l := range wrapWords(safetext.Line(text, 0), width-label) {
		head := pad
		if i == 0 {
			head = fmt.Sprintf("%-*s", label, name)
		}
		fmt.Fprintln(w, head+l)
	}
}

// destination prints where the message will go, before anything is sent.
func (s *sendOutput) destination(p session.Plan, d *session.Destination) {
	w := s.notes
	th := s.text.Theme
	fmt.Fprintln(w, th.Title.Render("mailcred send"))
	s.line(w, "message", fmt.Sprintf("From %s, to %s, subject %q", p.Message.From.String(), strings.Join(d.Recipients, ", "), p.Message.Subject))
	s.line(w, "envelope", fmt.Sprintf("MAIL FROM:<%s> RCPT TO:<%s>", d.EnvelopeFrom, strings.Join(d.Recipients, ">, <")))
	r := p.Route
	tls := string(r.TLS)
	if tls == "" {
		tls = "opportunistic"
	}
	switch r.Kind {
	case session.ViaSendmail:
		s.line(w, "route", "the local MTA: "+d.Sendmail+" "+strings.Join(d.SendmailArgs, " "))
	case session.ViaMTA:
		s.line(w, "route", "the local "+string(d.MTA.Kind)+", followed to the end of its delivery: "+d.MTA.String()+" "+strings.Join(d.MTAArgs, " "))
		s.line(w, "signed by", d.Signer)
		s.line(w, "submits as", d.SubmitAs)
	case session.ViaMX:
		how := "the MX hosts of " + d.Domain + ", in preference order (RFC 5321 §5.1)"
		if d.Implicit {
			how = d.Domain + " itself: it has no MX record, so its address is the implicit MX (RFC 5321 §5.1)"
		}
		s.line(w, "route", fmt.Sprintf("%s; TLS %s; addresses %s", how, tls, r.Family))
	default:
		s.line(w, "route", fmt.Sprintf("%s; TLS %s; addresses %s", r.HostPort, tls, r.Family))
	}
	for _, h := range d.Hosts {
		name := h.Name
		if r.Kind == session.ViaMX {
			name = fmt.Sprintf("%5d %s", h.Preference, h.Name)
		}
		where := strings.Join(h.Targets(), ", ")
		if len(h.Addrs) == 0 {
			where = "skipped: " + h.Problem
		}
		if len(h.Addrs) == 1 && h.Addrs[0].String() == h.Name {
			s.line(w, "", where)
			continue
		}
		s.line(w, "", name+"  "+where)
	}
	local := d.Local
	if local == "" {
		local = "unknown"
	}
	s.line(w, "from IP", local+" ("+d.LocalSource+")")
	if r.Kind != session.ViaSendmail {
		s.line(w, "HELO", d.HELO)
	}
	if r.Kind == session.ViaMTA && p.DKIM == nil {
		// "signed by" said it
	} else if k := p.DKIM; k != nil {
		s.line(w, "DKIM", fmt.Sprintf("%s, %s key, c=%s/%s", dkim.RecordName(k.Selector, k.Domain), keyDesc(k.Key),
			orRelaxed(k.Header), orRelaxed(k.Body)))
	} else {
		s.line(w, "DKIM", "unsigned (give --dkim-key and --selector to sign)")
	}
	if d.Auth != "" {
		// Which rule lets the password go (session.Describe decides).
		s.line(w, "AUTH", strings.TrimPrefix(d.Auth, "AUTH ")+"; the password is never shown")
	}
	fmt.Fprintln(w)
}

// event prints one transcript event as it happens (text mode only).
func (s *sendOutput) event(e session.Event) {
	if s.json {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Marked and styled by who wrote it, as in the workbench's transcript.
	style := panes.EventStyle(s.text.Theme, e.Kind, e.Source)
	for _, l := range strings.Split(smtpc.Format(e), "\n") {
		fmt.Fprintln(s.out, style.Render(l)) // line by line: Render pads a block to its widest line
	}
}

// result prints what the send came to and the score.
// rep is nil with --no-score: the send only.
func (s *sendOutput) result(o *session.Outcome, ev scoring.Evidence, rep *render.Check, ipFlag bool) error {
	if s.json {
		if rep == nil {
			sent := newSendJSON(o, ev, render.Check{})
			return writeJSON(s.out, sentJSON{Outcome: sent.Outcome, Transcript: sent.Transcript, SendingIPs: sent.SendingIPs})
		}
		return writeJSON(s.out, newSendJSON(o, ev, *rep))
	}
	w := s.out
	th := s.text.Theme
	fmt.Fprintln(w)
	if i := o.SignInfo; i != nil {
		s.line(w, "DKIM", fmt.Sprintf("signed d=%s s=%s %s (%s %d-bit), c=%s", i.Domain, i.Selector, i.Algorithm, i.KeyType, i.Bits, i.Canonicalization))
		s.line(w, "", "signed headers "+strings.Join(i.Headers, ":"))
		s.line(w, "", "verifies against the private key")
		if len(o.PublishedDKIM) == 0 {
			s.line(w, "", "published key: not checked")
		}
		for _, r := range o.PublishedDKIM {
			if r.Status == dkim.Pass {
				s.line(w, "", fmt.Sprintf("verifies with the published key %s", dkim.RecordName(r.Selector, r.Domain)))
				continue
			}
			s.line(w, "", fmt.Sprintf("published key %s: %s — %s", dkim.RecordName(r.Selector, r.Domain), r.Status, r.Explain()))
		}
	}
	s.outcome(w, o)
	s.sendingIP(w, ev, ipFlag)
	if rep == nil {
		return nil // --no-score
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, th.Title.Render("Score of this send for "+safetext.Line(rep.Domain, 0)))
	s.text.Results(w, rep.Checks, rep.Queries)
	fmt.Fprintln(w)
	s.text.Score(w, rep.Score, rep.Max, rep.Checks)
	s.text.QueryLog(w, rep.Queries)
	return nil
}

// outcome prints the verdict, the reply and its explanation.
func (s *sendOutput) outcome(w io.Writer, o *session.Outcome) {
	status := map[smtpx.Outcome]string{smtpx.Accepted: "pass", smtpx.Deferred: "warn", smtpx.Rejected: "fail", smtpx.Failed: "error", smtpx.Frozen: "fail"}[o.Verdict]
	style, sym := s.text.Theme.Status(status)
	where := serverName(o.Server, o.Facts.Addr)
	head := fmt.Sprintf("%s %s at %s by %s", sym, strings.ToUpper(o.Verdict.String()), o.StageName(), where)
	switch {
	case o.Withheld:
		head = fmt.Sprintf("%s NOT SENT (%s): the password was withheld from %s", sym, o.StageName(), where)
	case o.Desync:
		head = fmt.Sprintf("%s SERVER OUT OF SYNC (%s): %s sent a reply nobody asked for", sym, o.StageName(), where)
	case o.Verdict == smtpx.Failed:
		head = fmt.Sprintf("%s NO ANSWER (%s) from %s", sym, o.StageName(), where)
	}
	fmt.Fprintf(w, "%-*s%s\n", label, "outcome", style.Render(safetext.Line(head, 0)))
	for _, l := range o.Reply.Lines {
		s.line(w, "", l)
	}
	if o.Err != "" {
		s.line(w, "", o.Err)
	}
	if m := o.MTA; m != nil {
		s.line(w, "", fmt.Sprintf("%s: %s (queue ID %s)", m.Kind, m.Status, orNone(m.QueueID)))
		if !m.RetryAt.IsZero() {
			s.line(w, "", "next try after "+m.RetryAt.Format("2006-01-02 15:04:05 MST")+" ("+m.RetryNote+")")
		}
		for _, n := range m.Notes {
			s.line(w, "", "note: "+n)
		}
	}
	if f := o.MTAFailure; f != nil {
		s.line(w, "", "Meaning: "+f.Meaning)
		s.line(w, "", "Fix: "+f.Fix)
		s.line(w, "", "Source: "+f.Source)
	}
	if e := o.Explanation; e != nil && o.Verdict != smtpx.Accepted {
		if e.Provider != "" && e.Provider != "generic" {
			s.line(w, "", "Provider: "+e.Provider)
		}
		s.line(w, "", "Meaning: "+e.Meaning)
		if e.RulesOut != "" {
			s.line(w, "", e.RulesOut)
		}
		if e.Fix != "" {
			s.line(w, "", "Fix: "+e.Fix)
		}
		if e.Link != "" {
			s.line(w, "", "See "+e.Link)
		}
		if len(e.Checks) > 0 {
			s.line(w, "", "Related checks: "+strings.Join(e.Checks, ", "))
		}
	}
	if d := o.Delivery; d != nil {
		for _, rcpt := range slices.Sorted(maps.Keys(d.Refused)) {
			s.line(w, "", "refused recipient "+rcpt+": "+strings.Join(d.Refused[rcpt].Reply.Lines, " "))
		}
	}
}

// sendingIP says which address the checks judge, and warns when it is
// not one receivers can have seen.
func (s *sendOutput) sendingIP(w io.Writer, ev scoring.Evidence, ipFlag bool) {
	if len(ev.IPs) == 0 {
		s.line(w, "sending IP", "none known (give --ip to check the address receivers see)")
		return
	}
	ips := make([]string, len(ev.IPs))
	private := false
	for i, ip := range ev.IPs {
		ips[i] = ip.String()
		private = private || !publicIP(ip)
	}
	from := "the local address of the connection"
	if ipFlag {
		from = "--ip"
	}
	s.line(w, "sending IP", strings.Join(ips, ", ")+" for the checks ("+from+")")
	if private && !ipFlag {
		s.line(w, "", "note: a loopback or private address; receivers on the internet see your public address: give it with --ip")
	}
}

// serverName is the server's name with its address, or the address
// alone when the name is the address.
func serverName(name, addr string) string {
	host, _, err := net.SplitHostPort(addr)
	switch {
	case addr == "":
		return name
	case name == "" || (err == nil && host == name):
		return addr
	}
	return name + " (" + addr + ")"
}

func publicIP(ip netip.Addr) bool {
	return ip.IsGlobalUnicast() && !ip.IsPrivate()
}

// keyDesc names a key by type and size, never its content.
func keyDesc(k crypto.Signer) string {
	if k == nil {
		return "no"
	}
	switch p := k.Public().(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d-bit", p.N.BitLen())
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return fmt.Sprintf("%T", k.Public())
}

func orRelaxed[T ~string](c T) T {
	if c == "" {
		return "relaxed"
	}
	return c
}

// wrapWords breaks one line of text at spaces to width columns, at least
// 20 (a word longer than the width is cut): render.Wrap, as the check
// report wraps.
func wrapWords(text string, width int) []string {
	return render.Wrap(text, max(width, 20))
}
