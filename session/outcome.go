package session

import (
	"net/netip"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/explain"
	"github.com/mailcred/mailcred/session/mta"
	"github.com/mailcred/mailcred/session/sign"
	"github.com/mailcred/mailcred/session/smtpc"
)

// Event is one transcript entry: smtpc's events, and the session's own
// notes (signing, "trying mx2.example.net [192.0.2.7]:25") as KindInfo.
// Offsets count from the start of the send, across every attempt.
type Event = smtpc.Event

// Attempt is one connection of a send: one address of one host.
type Attempt struct {
	Host    string // the MX host or the --via host
	Addr    string // address and port tried
	Verdict smtpx.Outcome
	Stage   smtpx.Stage
	Reply   smtpc.Reply // the deciding reply, if there was one
	Err     string      // the failure, when there was no reply
	Local   netip.AddrPort
	// Desync: the server sent a reply nobody asked for, so which reply
	// answered what is unknown (smtpc.ErrDesync); Verdict is Failed.
	Desync bool
	// Withheld: mailcred itself stopped before AUTH, keeping the password
	// from a connection it cannot trust (smtpc.ErrUnverifiedAuth,
	// ErrInsecureAuth); Verdict is Failed.
	Withheld bool
}

// Outcome is everything a send learned: the verdict and where it was
// decided, the explanation, the TLS and DKIM details, the transcript,
// and the facts the checks judge.
type Outcome struct {
	Verdict smtpx.Outcome
	// Stage is where the verdict was decided: the reply to the end of
	// data for an accepted message, the refused command otherwise.
	Stage smtpx.Stage
	// Reply is the deciding reply; its Lines are sanitised server text.
	Reply smtpc.Reply
	// Explanation says what Reply means; nil when there was no reply.
	Explanation *explain.Explanation
	// Err says what failed when smtpx.Outcome is smtpx.Failed, or why sendmail did
	// not accept the message.
	Err string
	// Desync says the session failed because the server sent a reply
	// nobody asked for: "server out of sync", never acceptance.
	Desync bool
	// Withheld says mailcred stopped before AUTH rather than send the
	// password over an untrusted connection; Err names the problem.
	Withheld bool
	// Server is the host that gave the verdict (the MX name).
	Server string
	// Attempts are every connection made, in order (RFC 5321 §5.1).
	Attempts []Attempt
	// Delivery is the deciding session, when a connection was made.
	Delivery *smtpc.Delivery
	// LocalAddr is the local end of the deciding connection: the sending
	// IP receivers saw, which the checks must use. Zero for sendmail.
	LocalAddr netip.AddrPort
	// HELO is the name given in EHLO.
	HELO string
	// Message is the exact bytes sent: rendered, and DKIM-signed when the
	// plan asked. It never holds key material.
	Message []byte
	// SignInfo describes the signature made; nil when unsigned.
	SignInfo *sign.Info
	// OfflineDKIM is the verification of the signature just made against
	// the private key itself, made once before sending (a failure stops
	// the send, so a sent message's signature passed it).
	OfflineDKIM []dkim.SignatureResult
	// PublishedDKIM is the verification of the message against the key
	// records DNS publishes, made before sending; reported, not fatal.
	PublishedDKIM []dkim.SignatureResult
	// Transcript holds every event, in order.
	Transcript []Event
	// Facts are what tls.starttls and smtp.response judge.
	Facts scoring.SMTPFacts
	// MTA is the local MTA's delivery (--via mta): delivered, deferred
	// with its retry time, bounced with its reason, or frozen.
	MTA *mta.Result
	// MTAFailure explains a failure on the MTA's own side (frozen, retry
	// not reached, network unreachable); nil when none applies.
	MTAFailure *mta.Failure
}

// Evidence returns what the checks need to score this send: the plan's
// sending domain, envelope sender, HELO, DKIM selector and key, the
// message as sent, the SMTP facts, and as sending IP the local address of
// the deciding connection (none for sendmail). Behind NAT or a relay the
// receivers saw another address: give it as sendingIPs (--ip), and it
// replaces the local address both in Evidence.IPs and in SMTP.Local,
// which receiver-side checks take as the connecting IP.
func (o *Outcome) Evidence(p Plan, sendingIPs ...netip.Addr) scoring.Evidence {
	ev := scoring.Evidence{
		Domain:   p.domain(),
		MailFrom: p.envelopeFrom(),
		HELO:     o.HELO,
		Message:  o.Message,
	}
	if ev.HELO == "" {
		ev.HELO = p.helo()
	}
	if p.DKIM != nil {
		ev.Selector = p.DKIM.Selector
		ev.DKIMKey = p.DKIM.Key
	}
	if o.LocalAddr.IsValid() {
		ev.IPs = []netip.Addr{o.LocalAddr.Addr().Unmap()}
	}
	facts := o.Facts
	facts.Related = append([]string(nil), facts.Related...)
	facts.Reply = append([]string(nil), facts.Reply...)
	if len(sendingIPs) > 0 {
		ev.IPs = make([]netip.Addr, len(sendingIPs))
		for i, ip := range sendingIPs {
			ev.IPs[i] = ip.Unmap()
		}
		facts.Local = ev.IPs[0].String()
	}
	ev.SMTP = &facts
	return ev
}

// StageName says where the verdict was decided, as people name it
// ("MAIL", "end of data"), or "sendmail" for a hand-over to the local MTA,
// which has no SMTP stage of ours.
func (o *Outcome) StageName() string {
	if o.Facts.Route == string(ViaSendmail) {
		return "sendmail"
	}
	return o.Facts.Stage.String()
}

// facts fills Outcome.Facts from the rest of the outcome.
func (o *Outcome) facts(route Route, tls tlsNote) {
	f := scoring.SMTPFacts{
		Route:    route.String(),
		Server:   o.Server,
		Outcome:  o.Verdict,
		Stage:    o.Stage,
		Code:     o.Reply.Code,
		Enhanced: o.Reply.Enhanced,
		Reply:    append([]string(nil), o.Reply.Lines...),
		Err:      o.Err,
		Desync:   o.Desync,
		Withheld: o.Withheld,
	}
	switch route.Kind {
	case ViaSendmail:
		f.Stage = smtpx.NoStage
	case ViaMTA:
	default:
		f.TLSMode = string(route.tlsMode())
	}
	if o.LocalAddr.IsValid() {
		f.Local = o.LocalAddr.String()
	}
	if d := o.Delivery; d != nil {
		if d.RemoteAddr != nil {
			f.Addr = d.RemoteAddr.String()
		}
		f.StartTLSOffered = d.Capabilities.StartTLS || d.TLS != nil || d.ClearRetry
		if t := d.TLS; t != nil {
			f.TLS = true
			f.TLSVersion, f.CipherSuite = t.Version, t.CipherSuite
			f.CertVerified, f.CertError = t.Verified, t.VerifyError
		}
	} else if n := len(o.Attempts); n > 0 {
		f.Addr = o.Attempts[n-1].Addr
	}
	if tls.offered {
		f.StartTLSOffered = true
	}
	if !f.TLS {
		f.TLSError = tls.why
	}
	if e := o.Explanation; e != nil {
		f.Provider, f.Meaning, f.RulesOut = e.Provider, e.Meaning, e.RulesOut
		f.Fix, f.Link = e.Fix, e.Link
		f.Related = append([]string(nil), e.Checks...)
	}
	o.Facts = f
}

// explainReply explains r received at st.
func explainReply(kb *explain.KB, r smtpc.Reply, st smtpx.Stage) *explain.Explanation {
	if r.Code == 0 {
		return nil
	}
	ex := kb.Explain(explain.Reply{Code: r.Code, Enhanced: r.Enhanced, Lines: r.Lines}, st)
	return &ex
}
