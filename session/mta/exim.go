package mta

import (
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/mailcred/mailcred/scoring/safetext"
	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/smtpc"
)

// Bounds on what a parser keeps, whatever it is fed.
const (
	// MaxLine is the most bytes of one line a parser looks at; the rest
	// is cut (a program's lines are read through a capped reader too).
	MaxLine = 4096
	// maxReplyLines bounds a multi-line reply, as smtpc does.
	maxReplyLines = 100
	// maxPending bounds the pipelined commands awaiting a reply.
	maxPending = 64
	// maxNotes bounds Result.Notes.
	maxNotes = 20
)

// EximParser reads the output of `exim -v -odf` (a foreground verbose
// delivery) one line at a time and turns it into transcript events: the
// connection, each command exim sent (SMTP>>, pipelined SMTP|>, SMTP+>),
// each reply (SMTP<<, with its continuation lines) tagged with the stage
// of the command it answers, the TLS it negotiated, and the log lines
// (<=, =>, ==, **, Frozen, Completed) that decide the Result. Only the
// first message exim delivers is the one submitted; a bounce it makes of
// it is reported as a note.
//
// The zero value is not ready: use NewEximParser.
type EximParser struct {
	res  Result
	ours string // the message ID of the submitted message
	cur  string // the message ID being delivered now

	inLog    bool
	reply    *smtpc.Event // a multi-line reply being read
	pending  []smtpx.Stage
	secure   bool
	startTLS bool // the last command was STARTTLS
	inAuth   bool // masking AUTH responses until the exchange ends
	host     string
	addr     netip.AddrPort
	done     bool
}

// NewEximParser returns a parser for one delivery.
func NewEximParser() *EximParser {
	return &EximParser{res: Result{Kind: Exim}}
}

// Result returns what the lines so far decided.
func (p *EximParser) Result() Result {
	r := p.res
	r.Notes = append([]string(nil), r.Notes...)
	return r
}

// Done reports whether the submitted message reached a final state.
func (p *EximParser) Done() bool { return p.done }

// Feed parses one line (without its newline) and returns the events it
// completes. A multi-line reply is returned when its last line arrives;
// Flush returns one left open.
func (p *EximParser) Feed(line string) []smtpc.Event {
	return from(smtpc.FromExim, p.feed(line))
}

func (p *EximParser) feed(line string) []smtpc.Event {
	if len(line) > MaxLine {
		line = line[:MaxLine]
	}
	line = strings.TrimRight(line, "\r")
	var out []smtpc.Event
	// A reply's continuation lines are indented and start with a code.
	if p.reply != nil {
		if code, sep, ok := replyLine(strings.TrimLeft(line, " ")); ok && strings.HasPrefix(line, "         ") && code == p.reply.Code {
			p.addReplyLine(strings.TrimLeft(line, " "))
			if sep == ' ' || len(p.reply.Lines) >= maxReplyLines {
				out = append(out, p.endReply())
			}
			return out
		}
		out = append(out, p.endReply())
	}
	trimmed := strings.TrimLeft(line, " ")
	switch {
	case strings.HasPrefix(line, "LOG:"):
		p.inLog = true
		return out
	case strings.HasPrefix(trimmed, "SMTP"):
		p.inLog = false
		return append(out, p.smtp(trimmed)...)
	case p.inLog && strings.HasPrefix(line, "  "):
		return append(out, p.logLine(trimmed)...)
	}
	p.inLog = false
	switch {
	case strings.HasPrefix(line, "delivering "):
		id := strings.TrimSpace(strings.TrimPrefix(line, "delivering "))
		if !validEximID(id) {
			return out
		}
		p.cur = id
		if p.ours == "" {
			p.ours, p.res.QueueID = id, id
		} else if id != p.ours {
			p.note("exim also delivered message " + id + " (a bounce or a second message)")
		}
	case strings.HasPrefix(line, "Connecting to "):
		if !p.isOurs() {
			return out
		}
		out = append(out, p.connecting(line)...)
	case trimmed == "connected":
		if p.isOurs() && p.addr.IsValid() {
			out = append(out, event(smtpc.KindConnect, false, "Connected to "+p.host+" ["+p.addr.Addr().String()+"]:"+strconv.Itoa(int(p.addr.Port()))))
		}
	case strings.Contains(line, "TLS error on connection"), strings.Contains(line, "TLS session: "):
		if p.isOurs() {
			out = append(out, smtpc.Event{Kind: smtpc.KindError, Err: clean(trimmed)})
		}
	case strings.HasPrefix(line, "Exim configuration error"), strings.HasPrefix(trimmed, "exim: "):
		out = append(out, smtpc.Event{Kind: smtpc.KindError, Err: clean(trimmed)})
	case trimmed == "" || strings.HasPrefix(line, "cmdlog:") || strings.HasPrefix(trimmed, "will write message"):
	default:
		if p.isOurs() || p.ours == "" {
			out = append(out, event(smtpc.KindInfo, p.secure, clean("exim: "+trimmed)))
		}
	}
	return out
}

// Flush returns a reply still being read when the output ended.
func (p *EximParser) Flush() []smtpc.Event {
	if p.reply != nil {
		return from(smtpc.FromExim, []smtpc.Event{p.endReply()})
	}
	return nil
}

// isOurs reports whether the lines now are about the submitted message.
func (p *EximParser) isOurs() bool { return p.cur == "" || p.cur == p.ours }

func (p *EximParser) note(s string) {
	if len(p.res.Notes) < maxNotes {
		p.res.Notes = append(p.res.Notes, clean(s))
	}
}

// connecting reads "Connecting to HOST [IP]:PORT [from [LOCAL]] ... [connected]".
func (p *EximParser) connecting(line string) []smtpc.Event {
	rest := strings.TrimPrefix(line, "Connecting to ")
	host, after, _ := strings.Cut(rest, " ")
	p.host, p.addr, p.secure, p.pending, p.startTLS = clean(host), netip.AddrPort{}, false, nil, false
	if ap, ok := bracketAddr(after); ok {
		p.addr = ap
	}
	if i := strings.Index(after, " from ["); i >= 0 {
		if ip, err := netip.ParseAddr(strings.Trim(strings.Fields(after[i+len(" from "):])[0], "[]")); err == nil {
			p.res.Local = netip.AddrPortFrom(ip.Unmap(), 0)
		}
	}
	p.res.Host, p.res.Addr = p.host, p.addr
	trying, _, _ := strings.Cut(rest, " ...")
	out := []smtpc.Event{event(smtpc.KindConnect, false, "Trying "+clean(trying))}
	if strings.HasSuffix(strings.TrimSpace(after), "connected") && p.addr.IsValid() {
		out = append(out, event(smtpc.KindConnect, false, "Connected to "+p.host+" ["+p.addr.Addr().String()+"]:"+strconv.Itoa(int(p.addr.Port()))))
	}
	if i := strings.Index(after, "failed: "); i >= 0 {
		out = append(out, smtpc.Event{Kind: smtpc.KindError, Err: clean("connect: " + after[i+len("failed: "):])})
	}
	return out
}

// bracketAddr reads "[IP]:PORT" at the start of s.
func bracketAddr(s string) (netip.AddrPort, bool) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "[") {
		return netip.AddrPort{}, false
	}
	end := strings.IndexByte(s, ']')
	if end < 0 {
		return netip.AddrPort{}, false
	}
	ip, err := netip.ParseAddr(s[1:end])
	if err != nil {
		return netip.AddrPort{}, false
	}
	port := 25
	if rest := s[end+1:]; strings.HasPrefix(rest, ":") {
		digits := rest[1:]
		if i := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
			digits = digits[:i]
		}
		if n, err := strconv.Atoi(digits); err == nil && n > 0 && n < 65536 {
			port = n
		}
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(port)), true
}

// smtp reads a line exim wrote about its SMTP dialogue.
func (p *EximParser) smtp(s string) []smtpc.Event {
	if !p.isOurs() {
		return nil
	}
	switch {
	case strings.HasPrefix(s, "SMTP<< "):
		r := strings.TrimPrefix(s, "SMTP<< ")
		code, sep, ok := replyLine(r)
		if !ok {
			return []smtpc.Event{event(smtpc.KindInfo, p.secure, clean("exim: "+s))}
		}
		p.reply = &smtpc.Event{Kind: smtpc.KindReceived, Secure: p.secure, Code: code}
		p.addReplyLine(r)
		if sep != '-' {
			return []smtpc.Event{p.endReply()}
		}
		return nil
	case strings.HasPrefix(s, "SMTP>> "), strings.HasPrefix(s, "SMTP|> "), strings.HasPrefix(s, "SMTP+> "):
		cmd := s[len("SMTP>> "):]
		if cmd == "(writing message)" {
			return nil
		}
		st, sentLine := p.command(cmd)
		if len(p.pending) < maxPending {
			p.pending = append(p.pending, st)
		}
		return []smtpc.Event{event(smtpc.KindSent, p.secure, sentLine)}
	case strings.HasPrefix(s, "SMTP(") && strings.HasSuffix(s, ")<<"):
		// A failure where a reply was due: "SMTP(Connection refused)<<".
		why := strings.TrimSuffix(strings.TrimPrefix(s, "SMTP("), ")<<")
		return []smtpc.Event{{Kind: smtpc.KindError, Secure: p.secure, Err: clean("smtp " + p.nextStage().String() + ": " + why)}}
	}
	return nil // SMTP(shutdown)>>, SMTP(close)>>
}

// nextStage is the stage of the oldest command awaiting a reply: the
// greeting (connect) when none was sent.
func (p *EximParser) nextStage() smtpx.Stage {
	if len(p.pending) > 0 {
		return p.pending[0]
	}
	return smtpx.Connect
}

// command returns the stage of a command exim sent, and the line to show:
// AUTH data is masked (RFC 4954 responses are credentials).
func (p *EximParser) command(cmd string) (smtpx.Stage, string) {
	verb, _, _ := strings.Cut(cmd, " ")
	p.startTLS = false
	switch strings.ToUpper(verb) {
	case "EHLO", "HELO", "LHLO":
		if _, name, ok := strings.Cut(cmd, " "); ok {
			p.res.HELO = clean(strings.TrimSpace(name))
		}
		return smtpx.EHLO, clean(cmd)
	case "STARTTLS":
		p.startTLS = true
		return smtpx.STARTTLS, clean(cmd)
	case "AUTH":
		p.inAuth = true
		fields := strings.Fields(cmd)
		if len(fields) > 2 {
			return smtpx.AUTH, clean(fields[0]+" "+fields[1]) + " ****"
		}
		return smtpx.AUTH, clean(cmd)
	case "MAIL":
		return smtpx.MAIL, clean(cmd)
	case "RCPT":
		return smtpx.RCPT, clean(cmd)
	case "DATA":
		return smtpx.DATA, clean(cmd)
	case ".":
		return smtpx.EndOfData, "."
	case "BDAT":
		if strings.Contains(strings.ToUpper(cmd), "LAST") {
			return smtpx.EndOfData, clean(cmd)
		}
		return smtpx.DATA, clean(cmd)
	case "QUIT":
		return smtpx.QUIT, clean(cmd)
	}
	if p.inAuth {
		return smtpx.AUTH, "****"
	}
	return smtpx.Connect, clean(cmd)
}

func (p *EximParser) addReplyLine(l string) {
	if len(p.reply.Lines) < maxReplyLines {
		p.reply.Lines = append(p.reply.Lines, clean(l))
	}
}

// endReply completes the reply being read: its enhanced code, its stage,
// and what it changes (TLS after 220 to STARTTLS).
func (p *EximParser) endReply() smtpc.Event {
	e := *p.reply
	p.reply = nil
	e.Enhanced = enhanced(e.Lines[len(e.Lines)-1])
	st := p.nextStage()
	if len(p.pending) > 0 {
		p.pending = p.pending[1:]
	}
	if st == smtpx.AUTH && e.Code != 334 {
		p.inAuth = false
	}
	if e.Code >= 400 {
		p.res.Stage = st
		p.res.Reply = smtpc.Reply{Code: e.Code, Enhanced: e.Enhanced, Lines: append([]string(nil), e.Lines...)}
	}
	if st == smtpx.EndOfData && e.Code/100 == 2 {
		p.res.Stage = st
		p.res.Reply = smtpc.Reply{Code: e.Code, Enhanced: e.Enhanced, Lines: append([]string(nil), e.Lines...)}
	}
	if st == smtpx.STARTTLS && e.Code == 220 {
		p.secure = true // every later line is under TLS (RFC 3207)
	}
	return e
}

// replyLine reads the code and separator of "250-text" or "250 text".
func replyLine(s string) (code int, sep byte, ok bool) {
	if len(s) < 3 {
		return 0, 0, false
	}
	n, err := strconv.Atoi(s[:3])
	if err != nil || n < 200 || n > 599 {
		return 0, 0, false
	}
	if len(s) == 3 {
		return n, ' ', true
	}
	if s[3] != ' ' && s[3] != '-' {
		return 0, 0, false
	}
	return n, s[3], true
}

var enhancedRE = regexp.MustCompile(`^[245]\.\d{1,3}\.\d{1,3}$`)

// enhanced is the RFC 3463 code after the reply code, or "".
func enhanced(line string) string {
	f := strings.Fields(line)
	if len(f) > 1 && enhancedRE.MatchString(f[1]) {
		return f[1]
	}
	return ""
}

// logLine reads one line of exim's main log as -v echoes it.
func (p *EximParser) logLine(s string) []smtpc.Event {
	mark, rest, _ := strings.Cut(s, " ")
	switch mark {
	case "<=":
		if p.ours == "" {
			return []smtpc.Event{event(smtpc.KindInfo, false, "exim accepted the message for delivery: "+clean(s))}
		}
		return nil
	case "=>", "->":
		if !p.isOurs() {
			return nil
		}
		p.delivered(rest)
		return []smtpc.Event{event(smtpc.KindInfo, p.secure, "exim: "+clean(s))}
	case "==":
		if !p.isOurs() {
			return nil
		}
		p.deferred(rest)
		return []smtpc.Event{event(smtpc.KindInfo, p.secure, "exim: "+clean(s))}
	case "**":
		if !p.isOurs() {
			p.note("the bounce message " + p.cur + " could not be delivered either: " + s)
			return nil
		}
		p.bounced(rest)
		return []smtpc.Event{event(smtpc.KindInfo, p.secure, "exim: "+clean(s))}
	case "Frozen":
		if !p.isOurs() {
			p.note("exim froze " + p.cur + " (" + strings.Trim(rest, "()") + "): it stays in the queue until an admin acts (exim -Mrm or -M)")
			return nil
		}
		if !p.res.Status.Final() {
			p.res.Status = StatusFrozen
			p.res.Reason = clean(strings.Trim(rest, "()"))
			p.done = true
		}
		return []smtpc.Event{event(smtpc.KindInfo, false, "exim: "+clean(s))}
	case "Completed":
		if p.isOurs() && p.ours != "" && p.res.Status != StatusDeferred {
			p.done = true
		}
		return nil
	}
	if p.isOurs() {
		return []smtpc.Event{event(smtpc.KindInfo, false, "exim: "+clean(s))}
	}
	return nil
}

// delivered reads "=> rcpt R=… T=… H=host [ip]:port I=[local]:port X=TLS… CV=yes C="250 …"".
func (p *EximParser) delivered(rest string) {
	if p.res.Status != StatusBounced && p.res.Status != StatusDeferred {
		p.res.Status = StatusDelivered
	}
	fields := logFields(rest)
	if h, ok := fields["H"]; ok {
		host, addr, _ := strings.Cut(h, " ")
		p.res.Host = clean(host)
		// H= has no port unless it is not 25; keep the one "Connecting" gave.
		if ap, ok := bracketAddr(addr); ok && (!p.res.Addr.IsValid() || ap.Addr() != p.res.Addr.Addr()) {
			p.res.Addr = ap
		}
	}
	if i, ok := fields["I"]; ok {
		if ap, ok := bracketAddr(i); ok {
			p.res.Local = ap
		}
	}
	if x, ok := fields["X"]; ok {
		p.res.TLS = eximTLS(x, fields["CV"])
	}
	if c, ok := fields["C"]; ok {
		if code, _, ok := replyLine(c); ok && (p.res.Reply.Code == 0 || p.res.Reply.Code/100 == 2) {
			p.res.Stage = smtpx.EndOfData
			p.res.Reply = smtpc.Reply{Code: code, Enhanced: enhanced(c), Lines: []string{clean(c)}}
		}
	}
	p.done = true
}

// eximTLS reads X=TLS1.3:ECDHE_X25519__…:128 and CV=yes|no.
func eximTLS(x, cv string) *smtpc.TLSInfo {
	version, suite, _ := strings.Cut(x, ":")
	if v, ok := strings.CutPrefix(version, "TLS"); ok {
		version = "TLS " + v
	}
	suite, _, _ = strings.Cut(suite, ":")
	t := &smtpc.TLSInfo{Version: clean(version), CipherSuite: clean(suite), Verified: cv == "yes"}
	if !t.Verified {
		t.VerifyError = "exim did not verify the certificate (CV=" + clean(cv) + ")"
	}
	return t
}

// deferred reads "== rcpt R=… T=… defer (errno): REASON".
func (p *EximParser) deferred(rest string) {
	if p.res.Status.Final() {
		return
	}
	p.res.Status = StatusDeferred
	p.reason(rest)
	p.done = true
}

// bounced reads "** rcpt R=…: REASON".
func (p *EximParser) bounced(rest string) {
	p.res.Status = StatusBounced
	p.reason(rest)
	p.done = true
}

// remoteRE finds the remote reply in a reason: "SMTP error from remote
// mail server after RCPT TO:<b@x.test>: 450 4.7.1 go away".
var remoteRE = regexp.MustCompile(`SMTP error from remote mail server after (.*?): ([245]\d\d)([ -].*)?$`)

// reason keeps the MTA's words and the remote reply they quote.
func (p *EximParser) reason(rest string) {
	why := rest
	if i := strings.Index(rest, ": "); i >= 0 {
		why = rest[i+2:]
	}
	p.res.Reason = clean(why)
	m := remoteRE.FindStringSubmatch(rest)
	if m == nil {
		return
	}
	code, _ := strconv.Atoi(m[2])
	line := m[2] + m[3]
	p.res.Stage = eximStage(m[1])
	p.res.Reply = smtpc.Reply{Code: code, Enhanced: enhanced(line), Lines: []string{clean(line)}}
}

// eximStage maps exim's "after …" to a stage.
func eximStage(after string) smtpx.Stage {
	a := strings.ToUpper(after)
	switch {
	case strings.Contains(a, "RCPT"):
		return smtpx.RCPT
	case strings.Contains(a, "MAIL"):
		return smtpx.MAIL
	case strings.Contains(a, "END OF DATA"), strings.Contains(a, "BDAT"):
		return smtpx.EndOfData
	case strings.Contains(a, "DATA"):
		return smtpx.DATA
	case strings.Contains(a, "EHLO"), strings.Contains(a, "HELO"):
		return smtpx.EHLO
	case strings.Contains(a, "STARTTLS"):
		return smtpx.STARTTLS
	case strings.Contains(a, "AUTH"):
		return smtpx.AUTH
	}
	return smtpx.Connect // "initial connection"
}

// logFields reads exim's NAME=value fields; C="…" is quoted, H=host [ip]
// carries its address.
func logFields(s string) map[string]string {
	out := map[string]string{}
	for len(s) > 0 && len(out) < 32 {
		i := strings.Index(s, "=")
		if i < 0 {
			break
		}
		start := strings.LastIndexByte(s[:i], ' ') + 1
		name := s[start:i]
		s = s[i+1:]
		var val string
		if strings.HasPrefix(s, `"`) {
			end := strings.IndexByte(s[1:], '"')
			if end < 0 {
				val, s = s[1:], ""
			} else {
				val, s = s[1:end+1], s[end+2:]
			}
		} else {
			val, s, _ = strings.Cut(s, " ")
			if name == "H" && strings.HasPrefix(s, "[") { // H=host [ip]:port
				var addr string
				addr, s, _ = strings.Cut(s, " ")
				val += " " + addr
			}
		}
		if name != "" && !strings.ContainsAny(name, " \t") {
			out[name] = val
		}
	}
	return out
}

// validEximID accepts exim message IDs, old (6-6-2) and new (6-11-4,
// since 4.97) base-62 forms, without being strict about the lengths.
func validEximID(id string) bool {
	parts := strings.Split(id, "-")
	if len(parts) != 3 || len(id) > 32 {
		return false
	}
	for _, p := range parts {
		if p == "" || strings.ContainsFunc(p, func(r rune) bool {
			return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
		}) {
			return false
		}
	}
	return true
}

// from marks events as src's: a parser's events are all its MTA's lines.
func from(src smtpc.Source, events []smtpc.Event) []smtpc.Event {
	for i := range events {
		events[i].Source = src
	}
	return events
}

func event(k smtpc.Kind, secure bool, line string) smtpc.Event {
	return smtpc.Event{Kind: k, Secure: secure, Lines: []string{line}}
}

// clean makes untrusted text safe for a terminal and caps it.
func clean(s string) string { return safetext.Line(s, smtpc.DisplayLineMax) }
