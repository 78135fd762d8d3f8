package demo

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/smtptest"
)

// judgeTimeout bounds the DNS work behind one answer of a provider.
const judgeTimeout = 10 * time.Second

// Delivered is a message a provider accepted.
type Delivered struct {
	At       time.Time
	Provider string
	MailFrom string
	Rcpt     []string
	SourceIP netip.Addr // the simulated address it came from
	// Folder is "inbox" or "spam"; Reasons say why spam.
	Folder  string
	Reasons []string
	Message []byte  // as received
	Report  *Report // the tester's score; nil for the other providers
}

// policy is the smtptest Policy of provider p: take the world as it is
// now, judge the command with the engine, and refuse with the first rule
// that holds. At the end of data an accepted message is filed.
func (w *World) policy(p *provider) smtptest.Policy {
	return func(c smtptest.Command) *smtptest.Reply {
		st, ok := w.snapshot()
		if !ok {
			return &smtptest.Reply{Code: 421, Enhanced: "4.3.2", Lines: []string{"Service shutting down"}}
		}
		ctx, cancel := context.WithTimeout(w.ctx, judgeTimeout)
		defer cancel()
		r, err := w.Resolver()
		if err != nil {
			return &smtptest.Reply{Code: 451, Enhanced: "4.3.0", Lines: []string{"Temporary DNS problem, try again later"}}
		}
		j := &judgement{ctx: ctx, dns: r, st: st, ip: st.sourceIP(), helo: c.Helo, domain: p.def.domain, msg: c.Message}
		switch c.Stage {
		case smtpx.MAIL:
			j.mailFrom = c.Arg
		case smtpx.RCPT:
			j.rcpt = c.Arg
		}
		var rcpts []string
		if c.Stage == smtpx.EndOfData {
			env := p.track(c.Stage, c.RemoteAddr, "")
			j.mailFrom, rcpts = env.from, env.rcpt
		}
		for _, rl := range p.def.rules {
			if rl.stage == c.Stage && rl.when(j) {
				return w.refuse(p, c.Stage, rl.reply, j)
			}
		}
		switch c.Stage {
		case smtpx.MAIL, smtpx.RCPT:
			p.track(c.Stage, c.RemoteAddr, c.Arg)
		case smtpx.EndOfData:
			w.file(p, j, rcpts)
		}
		return nil
	}
}

// refuse renders the refusal and reports it as an event.
func (w *World) refuse(p *provider, stage smtpx.Stage, id string, j *judgement) *smtptest.Reply {
	t, ok := replyTable()[id]
	if !ok {
		return &smtptest.Reply{Code: 451, Enhanced: "4.3.0", Lines: []string{"Local error in processing"}}
	}
	w.mu.Lock()
	w.refs++
	n := w.refs
	w.mu.Unlock()
	reply := t.render(map[string]string{
		"ip": j.ip.String(), "domain": j.mailFromDomain(), "rcpt": j.rcpt,
		"ref": reference(p.def.id, j.ip.String(), n),
	})
	code := fmt.Sprint(reply.Code)
	if t.enhanced != "" {
		code += " " + t.enhanced
	}
	w.emit(Event{At: w.opts.Clock(), Kind: EventRefused, Provider: p.def.id,
		Text: fmt.Sprintf("%s refused mail from %s at %s: %s", p.def.domain, j.ip, stage, code)})
	return reply
}

// file stores an accepted message: scored for the tester, sorted into a
// folder for the others.
func (w *World) file(p *provider, j *judgement, rcpt []string) {
	d := Delivered{At: w.opts.Clock(), Provider: p.def.id, MailFrom: j.mailFrom, Rcpt: rcpt, SourceIP: j.ip,
		Folder: "inbox", Message: append([]byte(nil), j.msg...)}
	text := fmt.Sprintf("message accepted by %s from %s", p.def.domain, j.ip)
	switch {
	case p.def.tester:
		d.Report = w.score(j)
		text = fmt.Sprintf("message received by %s: score %.1f/10", p.def.domain, d.Report.Score.Value)
	case p.def.folder != nil:
		if d.Reasons = p.def.folder(j); len(d.Reasons) > 0 {
			d.Folder = "spam"
			text += " (spam folder: " + strings.Join(d.Reasons, "; ") + ")"
		} else {
			text += " (inbox)"
		}
	}
	p.mu.Lock()
	p.mailbox = append(p.mailbox, d)
	p.mu.Unlock()
	w.mu.Lock()
	if d.Report != nil {
		w.report = d.Report
	}
	w.emitLocked(Event{At: d.At, Kind: EventAccepted, Provider: p.def.id, Text: text})
	w.mu.Unlock()
}

// Mailbox returns the messages provider id accepted, oldest first.
func (w *World) Mailbox(id string) ([]Delivered, error) {
	p, err := w.provider(id)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Delivered(nil), p.mailbox...), nil
}

// Resolver returns a new resolver on the world's DNS, with an empty cache
// (so a change just made is seen). The checks and the providers use one
// each time they run.
func (w *World) Resolver() (*dnsx.Resolver, error) {
	r, err := dnsx.New(dnsx.Config{Servers: []string{w.dns.Addr}, Timeout: 2 * time.Second, Attempts: 2})
	if err != nil {
		return nil, fmt.Errorf("demo: resolver: %w", err)
	}
	return r, nil
}
