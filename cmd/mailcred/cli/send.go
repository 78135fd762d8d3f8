package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/mailcred/mailcred/cmd/mailcred/cli/render"
	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dmarc"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/receiver"
	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session"
)

// envPassword is where --auth-user finds its password when no
// --auth-password-file is given.
const envPassword = "MAILCRED_SMTP_PASSWORD"

// sendFlags are the flags of `mailcred send`.
type sendFlags struct {
	from, mailFrom, subject string
	to, cc                  []string
	body, bodyFile          string
	headers, omit           []string

	via, tls         string
	tlsVerify        bool
	authUnverified   bool
	tlsCA            string
	ipv4, ipv6       bool
	helo             string
	authUser, authPW string // authPW: --auth-password-file

	dkimKey, selector, dkimDomain, canon string
	mtaCommand, mtaLog                   string
	sign                                 bool

	yes     bool
	noScore bool
	ips     []string
}

func newSendCmd(g *globals) *cobra.Command {
	f := &sendFlags{}
	cmd := &cobra.Command{
		Use:   "send --from A --to B [--subject S] [--body-file F] [--via mx|mta|HOST:PORT|sendmail] [--tls MODE] [--auth-user U] [--dkim-key F --selector S] [--yes]",
		Short: "Send a test message, print the SMTP conversation live, explain the answer and score it",
		Long: `send composes a test message, DKIM-signs it when given a key, delivers it, and prints the SMTP
conversation as it happens (swaks-style: -> and <- in plaintext, ~> and <~ under TLS, ** for notes).
Then it explains the server's answer — at which stage it came, what that rules out, the fix — and
scores the send: every DNS check, the message's headers, TLS and the answer.

Routes: --via mx (the default) delivers to the recipient domain's MX hosts in preference order,
trying the next one after a temporary failure (RFC 5321 §5.1), on port 25; --via HOST:PORT talks to
one server, typically your submission server with --auth-user; --via sendmail hands the message to
the local MTA (sendmail -v), whose own delivery appears in the transcript; --via mta hands it to
exim or postfix (found on this host, or named with --mta-command) unsigned, so the MTA signs as it
does for real mail, and follows the MTA's own delivery to its end: exim's SMTP dialogue with the
remote server, or postfix's queue ID in its log. The outcome is delivered, deferred (with the retry
time), bounced (with the reason) or frozen. --sign makes mailcred sign as well.

Before sending, it shows where the message will go and asks "Send? [y/N]" on a terminal. Without a
terminal it refuses unless --yes is given. The password (--auth-password-file, $MAILCRED_SMTP_PASSWORD,
or a prompt without echo) is never printed: AUTH lines show ****.

The sending IP the checks judge is the local address of the connection; behind NAT or through a
relay, give the address receivers see with --ip.

A deferred or rejected message counts as failed; a refused confirmation or no answer from any
server is a runtime error.

` + exitStatusHelp,
		Example: `  mailcred send --from me@example.com --to check@mail-tester.example --subject Test --body "Hello"
  mailcred send --from me@example.com --to you@gmail.com -4 --dkim-key /etc/exim4/dkim.pem --selector s1
  mailcred send --from me@example.com --to you@example.net --via mta --mta-command "exim4 -C /etc/exim4/candidate.conf"
  mailcred send --from me@example.com --to you@example.net --via smtp.example.com:587 --tls starttls \
      --auth-user me@example.com --auth-password-file ~/.smtp-pass --yes --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runSend(cmd, g, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.from, "from", "", `the From address, "Name <a@example.com>" or a@example.com (required)`)
	fl.StringArrayVar(&f.to, "to", nil, "a recipient (repeat, or separate with commas)")
	fl.StringArrayVar(&f.cc, "cc", nil, "a Cc recipient (repeat)")
	fl.StringVar(&f.mailFrom, "mail-from", "", "envelope sender for MAIL FROM, where bounces go (default: the --from address)")
	fl.StringVar(&f.subject, "subject", "mailcred test message", "the Subject")
	fl.StringVar(&f.body, "body", "", "the body text")
	fl.StringVar(&f.bodyFile, "body-file", "", "read the body from this file")
	fl.StringArrayVar(&f.headers, "header", nil, `an extra header field "Name: value" (repeat)`)
	fl.StringArrayVar(&f.omit, "omit", nil, "leave out a standard header on purpose, e.g. To or Date (repeat)")
	fl.StringVar(&f.via, "via", "mx", "route: mx, mta, HOST:PORT, sendmail or sendmail:PATH")
	fl.StringVar(&f.mtaCommand, "mta-command", "", `the MTA for --via mta, e.g. "exim4 -C /etc/exim4/candidate.conf" (default: the exim or postfix found)`)
	fl.StringVar(&f.mtaLog, "mta-log", "", "postfix's log for --via mta: a file, or journald (default: /var/log/mail.log, else journald)")
	fl.BoolVar(&f.sign, "sign", false, "with --via mta: DKIM-sign with --dkim-key too (default: the MTA signs)")
	fl.StringVar(&f.tls, "tls", "", "TLS: starttls (required), implicit (port 465), none, or opportunistic (default; implicit for port 465)")
	fl.BoolVar(&f.tlsVerify, "tls-verify", false, "stop if the server's certificate does not verify for its name (default: report only, as MTAs do)")
	fl.BoolVar(&f.authUnverified, "auth-unverified-tls", false, "send the AUTH password even if the server's certificate does not verify (default: stop before AUTH)")
	fl.StringVar(&f.tlsCA, "tls-ca", "", "PEM file of CA certificates to verify the server with, instead of the system's")
	fl.BoolVarP(&f.ipv4, "ipv4", "4", false, "connect over IPv4 only")
	fl.BoolVarP(&f.ipv6, "ipv6", "6", false, "connect over IPv6 only")
	fl.StringVar(&f.helo, "helo", "", "the name to give in EHLO (default: this host's name)")
	fl.StringVar(&f.authUser, "auth-user", "", "authenticate as this user (AUTH PLAIN or LOGIN, only over TLS)")
	fl.StringVar(&f.authPW, "auth-password-file", "", "read the AUTH password from this file (else $"+envPassword+", else a prompt)")
	fl.StringVar(&f.dkimKey, "dkim-key", "", "DKIM-sign with this private key (PEM, PKCS#1 or PKCS#8; never printed)")
	fl.StringVar(&f.selector, "selector", "", "DKIM selector (the key record is SELECTOR._domainkey.DOMAIN)")
	fl.StringVar(&f.dkimDomain, "dkim-domain", "", "DKIM signing domain d= (default: the --from domain)")
	fl.StringVar(&f.canon, "canon", "relaxed", "DKIM canonicalization: relaxed, simple, or HEADER/BODY such as relaxed/simple")
	fl.BoolVarP(&f.yes, "yes", "y", false, "send without asking (scripts, tests; required without a terminal)")
	fl.BoolVar(&f.noScore, "no-score", false, "only send: no checks after the send (default: send, then score it)")
	fl.StringArrayVar(&f.ips, "ip", nil, "the sending IP receivers see, for the checks (default: the connection's local address)")
	cmd.MarkFlagRequired("from")
	return cmd
}

func runSend(cmd *cobra.Command, g *globals, f *sendFlags) error {
	if err := g.checkFormat(); err != nil {
		return err
	}
	in, tty := g.terminalIn()
	b := f.build(g.io.Env, tty)
	if len(b.problems) > 0 {
		return usageError("the message cannot be sent:\n  %s", strings.Join(b.problems, "\n  "))
	}
	for _, w := range b.warnings {
		fmt.Fprintln(g.io.Err, "warning:", w)
	}
	plan := b.plan
	r, err := g.newResolver(senderDomain(plan))
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	// The same seam as the workbench: a HostBench on this plan, sharing
	// one resolver (and its log) between the route, the send and the
	// checks.
	bench := &session.HostBench{Name: senderDomain(plan), Plan: plan, DQSKey: g.dqsSecret(),
		NewResolver: func() (*dnsx.Resolver, error) { return r, nil }}
	desc, err := bench.Describe(ctx, plan.Message, plan.Recipients)
	if err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("nothing sent: %w", err)}
	}
	dest := desc.Destination
	out, err := g.newSendOutput(b) // after the work: it may ask the terminal its colours
	if err != nil {
		return err
	}
	out.destination(plan, dest)
	if !f.yes {
		if !tty {
			return usageError("refusing to send without --yes when not on a terminal")
		}
		if !confirm(in, out.notes) {
			return &exitError{code: ExitError, err: errors.New("not sent")}
		}
	}
	if plan.Auth != nil && plan.Auth.Password == "" {
		pw, err := promptPassword(in, g.io.Err, plan.Auth.User, dest)
		if err != nil {
			return &exitError{code: ExitError, err: err}
		}
		plan.Auth.Password = pw
	}

	// The domain's checks need nothing from the session: they start now
	// and their round trips overlap the SMTP conversation.
	var domain *domainChecks
	if !f.noScore {
		domain = startDomainChecks(ctx, r, plan, b.selector, b.ips, bench)
		defer domain.stop()
	}
	sent, err := bench.Send(ctx, plan.Message, plan.Recipients, out.event)
	if err != nil {
		return &exitError{code: ExitError, err: fmt.Errorf("nothing sent: %w", err)}
	}
	o := sent.Outcome
	ev := sendEvidence(o, plan, b.selector, b.ips)
	if f.noScore {
		if err := out.result(o, ev, nil, len(b.ips) > 0); err != nil {
			return err
		}
		return sendExit(o, nil)
	}
	results := domain.scoreSend(ctx, r, ev)
	rep := render.NewCheck(ev.Domain, results, scoring.DefaultWeights, r.Log())
	var secrets []string
	if plan.Auth != nil {
		secrets = append(secrets, plan.Auth.Password)
	}
	if err := g.saveReport("send", newSendJSON(o, ev, rep), secrets...); err != nil {
		return err
	}
	if err := out.result(o, ev, &rep, len(b.ips) > 0); err != nil {
		return err
	}
	return sendExit(o, results)
}

// sendEvidence is what the checks of a send judge.
func sendEvidence(o *session.Outcome, plan session.Plan, selector string, ips []netip.Addr) scoring.Evidence {
	ev := o.Evidence(plan, ips...)
	if ev.Selector == "" {
		ev.Selector = selector // the MTA may sign (--via sendmail): the record can still be checked
	}
	return ev
}

// domainChecks are the DNS checks of the sending setup, started before the
// connection with what is known then (the domain, HELO name, selector and
// the --ip addresses).
type domainChecks struct {
	ev      scoring.Evidence
	done    chan struct{}
	results []scoring.Result
	stop    context.CancelFunc
	// dns and msg are the Bench's checks: of the setup (Spamhaus through
	// DQS when a key is given), and of the message and conversation.
	dns, msg []scoring.Check
}

func startDomainChecks(ctx context.Context, r *dnsx.Resolver, plan session.Plan, selector string, ips []netip.Addr, bench session.Bench) *domainChecks {
	ctx, cancel := context.WithCancel(ctx)
	d := &domainChecks{ev: sendEvidence(&session.Outcome{}, plan, selector, ips), done: make(chan struct{}), stop: cancel,
		dns: bench.Checks(), msg: bench.MessageChecks()}
	d.ev.SMTP = nil // the DNS checks judge the setup, not the session
	go func() {
		defer close(d.done)
		d.results = scoring.RunAll(ctx, &scoring.Env{Evidence: d.ev, DNS: r}, d.dns)
	}()
	// What DMARC's evaluation of the message will ask beyond the record
	// (the Organizational Domain's tree walk), asked now too.
	go dmarc.Evaluate(ctx, r, dmarc.AlignmentInput{FromDomain: d.ev.Domain})
	return d
}

// scoreSend returns the send's checks for ev: the setup's, then the
// message's and the conversation's. When
// the session confirmed what the early start assumed (the same domain,
// sender, HELO, selector and IPs) the early results stand and only the
// message and the conversation are judged; otherwise (the sending IP was
// learnt from the connection) everything runs again, the answers already
// asked coming from the resolver's cache or still in flight.
func (d *domainChecks) scoreSend(ctx context.Context, r *dnsx.Resolver, ev scoring.Evidence) []scoring.Result {
	env := &scoring.Env{Evidence: ev, DNS: r}
	ctx = receiver.WithSharedVerdict(ctx) // dkim.signature and dmarc.alignment verify once
	all := append(slices.Clip(d.dns), d.msg...)
	if !sameSetup(d.ev, ev) {
		return scoring.RunAll(ctx, env, all)
	}
	rest := scoring.RunAll(ctx, env, d.msg)
	select {
	case <-d.done:
	case <-ctx.Done():
		return scoring.RunAll(ctx, env, all) // every check reports the cancellation
	}
	return append(append([]scoring.Result(nil), d.results...), rest...)
}

func sameSetup(a, b scoring.Evidence) bool {
	// DKIMKey is the plan's in both.
	return a.Domain == b.Domain && a.MailFrom == b.MailFrom && a.HELO == b.HELO && a.Selector == b.Selector &&
		slices.Equal(a.IPs, b.IPs)
}

// sendExit maps the outcome and the checks to the exit status.
func sendExit(o *session.Outcome, results []scoring.Result) error {
	if o.Verdict == smtpx.Failed {
		if o.Withheld {
			return &exitError{code: ExitError, err: fmt.Errorf("not sent: %s", o.Err)}
		}
		if o.Desync {
			return &exitError{code: ExitFailed, err: fmt.Errorf("server out of sync at %s: %s", o.StageName(), o.Err)}
		}
		return &exitError{code: ExitError, err: fmt.Errorf("no answer: %s", o.Err)}
	}
	if o.Verdict != smtpx.Accepted {
		return failed()
	}
	return resultsExit(results)
}

// terminalIn returns stdin and whether it is a terminal: the confirmation
// and the password prompt are read from it.
func (g *globals) terminalIn() (*os.File, bool) {
	in, ok := g.io.In.(*os.File)
	return in, ok && term.IsTerminal(in.Fd())
}

// confirm asks "Send? [y/N]" and reads the answer.
func confirm(in io.Reader, w io.Writer) bool {
	fmt.Fprint(w, "Send? [y/N] ")
	line, _ := bufio.NewReader(in).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true
	}
	return false
}

// promptPassword reads the AUTH password from the terminal without echo.
func promptPassword(in *os.File, w io.Writer, user string, dest *session.Destination) (string, error) {
	where := ""
	if len(dest.Hosts) > 0 {
		where = " at " + dest.Hosts[0].Name
	}
	fmt.Fprintf(w, "Password for %s%s: ", user, where)
	pw, err := term.ReadPassword(in.Fd())
	fmt.Fprintln(w)
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	if len(pw) == 0 {
		return "", errors.New("no password given")
	}
	return string(pw), nil
}

// senderDomain is the domain --fresh asks authoritative servers about.
func senderDomain(p session.Plan) string {
	return scoring.DomainOf(p.Message.From.Address)
}

// lookupEnv finds key in environ ("KEY=value" entries).
func lookupEnv(environ []string, key string) (string, bool) {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// sendJSON is `mailcred send --format json`: the outcome and transcript,
// with the same score/max/checks/queries shape as `mailcred check`.
type sendJSON struct {
	Outcome    *session.Outcome    `json:"outcome"`
	Transcript []session.EventJSON `json:"transcript"`
	SendingIPs []string            `json:"sending_ips"`
	Domain     string              `json:"domain"`
	Score      float64             `json:"score"`
	Max        float64             `json:"max"`
	Complete   bool                `json:"complete"`
	Unchecked  []string            `json:"unchecked"`
	Checks     []scoring.Result    `json:"checks"`
	Queries    []dnsx.Query        `json:"queries"`
}

// sentJSON is `mailcred send --no-score --format json`: the send only.
type sentJSON struct {
	Scored     bool                `json:"scored"`
	Outcome    *session.Outcome    `json:"outcome"`
	Transcript []session.EventJSON `json:"transcript"`
	SendingIPs []string            `json:"sending_ips"`
}

func newSendJSON(o *session.Outcome, ev scoring.Evidence, rep render.Check) sendJSON {
	ips := []string{}
	for _, ip := range ev.IPs {
		ips = append(ips, ip.String())
	}
	return sendJSON{Outcome: o, Transcript: session.TranscriptJSON(o.Transcript), SendingIPs: ips,
		Domain: rep.Domain, Score: rep.Score, Max: rep.Max, Complete: rep.Complete, Unchecked: rep.Unchecked, Checks: rep.Checks, Queries: rep.Queries}
}

// parseIPs reads --ip values (repeatable, comma-separated).
func parseIPs(values []string) ([]netip.Addr, []string) {
	var ips []netip.Addr
	var problems []string
	for _, s := range values {
		for _, part := range strings.Split(s, ",") {
			ip, err := netip.ParseAddr(strings.TrimSpace(part))
			if err != nil {
				problems = append(problems, fmt.Sprintf("--ip %q: not an IP address", part))
				continue
			}
			ips = append(ips, ip.Unmap())
		}
	}
	return ips, problems
}
