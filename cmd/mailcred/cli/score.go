package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mailcred/mailcred/cmd/mailcred/cli/render"
	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsbl"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/headers"
	"github.com/mailcred/mailcred/scoring/inputfile"
	"github.com/mailcred/mailcred/scoring/receiver"
	"github.com/mailcred/mailcred/scoring/safetext"
	"github.com/mailcred/mailcred/session/mailbox"
)

// maxMessage bounds what score reads: more than any receiver accepts
// (Gmail stops at 25 MB, after encoding).
const maxMessage = 64 << 20

type scoreFlags struct {
	ip         string
	helo       string
	mailFrom   string
	authservID string
	dqs        scoring.Secret // Spamhaus DQS key (--dqs-key or the environment)
}

// scoreReport is the JSON of `mailcred score`: the shape of `check`
// (score, max, checks, queries) plus the Authentication-Results value.
type scoreReport struct {
	File                  string   `json:"file"`
	AuthenticationResults string   `json:"authentication_results"`
	Notes                 []string `json:"notes,omitempty"`
	render.Check
}

func newScoreCmd(g *globals) *cobra.Command {
	f := &scoreFlags{}
	cmd := &cobra.Command{
		Use:   "score FILE.eml|DIR|MBOX|MAILDIR... --ip IP [--helo NAME] [--mail-from ADDR]",
		Short: "Score a message as a receiver would see it: SPF, DKIM, DMARC, headers, blocklists",
		Long: `score judges an existing message (a .eml file, or - for standard input) the way a
receiving server does when IP connects: SPF for the envelope sender and the HELO name, every
DKIM signature against the keys DNS publishes (a body changed after signing told apart from a
bad signature), DMARC alignment with the From domain and the policy that would apply, the
header checks, reverse DNS and blocklists for the IP and the From domain.

It prints an RFC 8601 Authentication-Results header first, then each check, then the score.
The envelope sender is --mail-from, else the Return-Path header, else the From address;
--mail-from '<>' is a bounce (SPF then checks the HELO name). A file with LF line endings is
converted to CRLF for verification, as an MTA would on receipt; message.format still judges
the file as it is.

Several files, a directory of message files, an mbox or a Maildir are scored in one process,
several messages at a time, with one DNS cache shared by all of them (each answer kept for its
TTL): one line per message and a total, or with --format json one JSON object per line (JSON
Lines: the single-message report plus "index"; an unreadable message gives "error" and exit
status 2). A progress bar is drawn on standard error when it is a terminal. Lines of an mbox or
a Maildir, stored with LF alone, are read as the CRLF they had on the wire.

` + exitStatusHelp,
		Example: `  mailcred score message.eml --ip 203.0.113.5 --helo mail.example.com
  mailcred score ~/Maildir --ip 203.0.113.5 --format json > scores.jsonl
  mailcred score - --ip 203.0.113.5 --mail-from bounce@example.com --format json < message.eml`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("score needs a FILE (or - for standard input), several files, a directory, an mbox or a Maildir")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f.dqs = g.dqsSecret()
			return runScore(cmd, g, f, args)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.ip, "ip", "", "the IP address the message came from (required)")
	fl.StringVar(&f.helo, "helo", "", "the HELO/EHLO name the sender gave")
	fl.StringVar(&f.mailFrom, "mail-from", "", "envelope sender; '<>' for a bounce (default: Return-Path, else From)")
	fl.StringVar(&f.authservID, "authserv-id", "mailcred", "the receiver name in the Authentication-Results header")
	cmd.MarkFlagRequired("ip")
	return cmd
}

func runScore(cmd *cobra.Command, g *globals, f *scoreFlags, args []string) error {
	if err := g.checkFormat(); err != nil {
		return err
	}
	ip, err := netip.ParseAddr(strings.TrimSpace(f.ip))
	if err != nil {
		return usageError("--ip %q: not an IP address", f.ip)
	}
	if batch, err := isBatch(args); err != nil {
		return err
	} else if batch {
		if g.reportFile != "" {
			return usageError("--report takes one message; score the messages one at a time, or save --format json and run 'mailcred report'")
		}
		return runScoreBatch(cmd.Context(), g, f, ip.Unmap(), args)
	}
	file := args[0]
	raw, err := readMessage(g.io.In, file)
	if err != nil {
		return err
	}
	defer collectSooner(len(raw))()
	r, err := g.newResolver(messageDomains(f, raw)...)
	if err != nil {
		return err
	}
	rep, results := scoreMessage(cmd.Context(), f, ip.Unmap(), file, raw, r)
	if err := g.saveReport("score", rep); err != nil {
		return err
	}
	if g.format == "json" {
		if err := writeJSON(g.io.Out, rep); err != nil {
			return err
		}
	} else if err := printScore(g, rep, ip, heloOf(f), r.Servers()); err != nil {
		return err
	}
	return resultsExit(results)
}

func heloOf(f *scoreFlags) string { return strings.TrimSuffix(strings.TrimSpace(f.helo), ".") }

// connection is what the flags and the message say the receiving server
// saw, and where MAIL FROM came from.
func connection(f *scoreFlags, ip netip.Addr, raw []byte) (receiver.Connection, string) {
	msg := receiver.HeaderCRLF(raw)
	from, _, _ := receiver.AuthorAddress(msg)
	mailFrom, source := envelopeSender(f.mailFrom, msg, from)
	return receiver.Connection{IP: ip, HELO: heloOf(f), MailFrom: mailFrom}, source
}

// messageDomains are the From and MAIL FROM domains of raw, the ones
// --fresh asks authoritative servers about.
func messageDomains(f *scoreFlags, raw []byte) []string {
	conn, _ := connection(f, netip.Addr{}, raw)
	return receiver.DomainsOf(raw, conn)
}

// scoreMessage judges one message as a receiver would when ip connects,
// asking DNS through r: the report and the results.
func scoreMessage(ctx context.Context, f *scoreFlags, ip netip.Addr, file string, raw []byte, r *dnsx.Resolver) (scoreReport, []scoring.Result) {
	conn, source := connection(f, ip, raw)
	sc := receiver.ScoreMessage(ctx, r, raw, conn, receiver.Options{AuthservID: f.authservID,
		Adjust: func(checks []scoring.Check) []scoring.Check { return dnsbl.WithDQS(checks, f.dqs) }})
	notes := append([]string{"MAIL FROM " + orNull(conn.MailFrom) + " (" + source + ")"}, sc.Notes...)
	return scoreReport{File: file, AuthenticationResults: sc.AuthenticationResults, Notes: notes,
		Check: render.NewCheck(sc.FromDomain, sc.Results, scoring.DefaultWeights, r.Log())}, sc.Results
}

// collectSooner lowers the garbage collector's target while one large
// message is scored, and returns what restores it. The message is held
// once, live, for the whole run; verifying its DKIM signature allocates
// about its size again in short-lived 4 KiB pieces (go-msgauth
// canonicalises each piece of the body into fresh buffers), and at the
// default GOGC=100 the heap grows by the live size, a second copy of the
// message, before a collection runs. A collection is cheap here (the
// message is one pointer-free block), so a message over 1 MiB gets
// GOGC = 100 MiB / its size in MiB, at least 1: about 1 MiB of headroom
// whatever the size (a 30 MB message: 61 collections, about 0.05 s more
// CPU and 2.4 MiB less peak RSS than at GOGC=10). A
// GOGC the user set is kept.
func collectSooner(size int) (restore func()) {
	const mib = 1 << 20
	if size <= mib || os.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(max(1, 100*mib/size))
	return func() { debug.SetGCPercent(old) }
}

// readMessage reads FILE, or standard input for "-", refusing more than
// maxMessage bytes and empty input.
func readMessage(stdin io.Reader, file string) ([]byte, error) {
	var in io.Reader
	var size int64 // sizes the buffer: one copy of the message, not ReadAll's doublings
	if file == "-" {
		if stdin == nil {
			return nil, usageError("score -: no standard input")
		}
		in = stdin
	} else {
		fh, err := inputfile.Open(file)
		if err != nil {
			return nil, usageError("%v", err)
		}
		defer fh.Close()
		if fi, err := fh.Stat(); err == nil {
			size = fi.Size()
		}
		in = fh
	}
	raw, err := mailbox.ReadAll(in, size, maxMessage)
	switch {
	case errors.Is(err, mailbox.ErrTooBig):
		return nil, usageError("%s: over %d MB; no receiver accepts a message that big", file, maxMessage>>20)
	case err != nil:
		return nil, usageError("reading %s: %v", file, err)
	case len(raw) > maxMessage:
		return nil, usageError("%s: over %d MB; no receiver accepts a message that big", file, maxMessage>>20)
	case len(bytes.TrimSpace(raw)) == 0:
		return nil, usageError("%s: empty: want a whole message (header fields, a blank line, the body)", file)
	}
	return raw, nil
}

// envelopeSender picks the RFC5321.MailFrom the message came with and
// says where it came from: the flag, the Return-Path header (which the
// final MTA writes from MAIL FROM, RFC 5321 §4.4), or the From address.
// "" is the null reverse-path of a bounce ("<>").
func envelopeSender(flag string, msg []byte, from string) (addr, source string) {
	if flag = strings.TrimSpace(flag); flag != "" {
		return strings.TrimSuffix(strings.TrimPrefix(flag, "<"), ">"), "--mail-from"
	}
	if rp := headers.Parse(msg).Get("Return-Path"); len(rp) > 0 {
		if a, ok := angleAddr(strings.TrimSpace(rp[0].Value)); ok {
			return a, "from the Return-Path header"
		}
	}
	if from == "" {
		return "", "no --mail-from, no Return-Path header and no From address"
	}
	return from, "the From address: no --mail-from and no Return-Path header"
}

// angleAddr reads "<local@domain>", "<>" or a bare address; ok is false
// for anything else (white space, control characters, no @).
func angleAddr(v string) (string, bool) {
	if strings.HasPrefix(v, "<") {
		end := strings.IndexByte(v, '>')
		if end < 0 {
			return "", false
		}
		v = v[1:end]
	}
	if v == "" {
		return "", true
	}
	if strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }) || !strings.Contains(v, "@") {
		return "", false
	}
	return v, true
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// orNull writes the null reverse-path as SMTP does.
func orNull(addr string) string {
	if addr == "" {
		return "<>"
	}
	return addr
}

// printScore writes the text report: the Authentication-Results field
// folded one result per line (RFC 5322 §2.2.3 folding), the checks, the
// score.
func printScore(g *globals, rep scoreReport, ip netip.Addr, helo string, servers []string) error {
	w, text, err := g.textOut()
	if err != nil {
		return err
	}
	th := text.Theme
	for i, line := range foldAuthResults(rep.AuthenticationResults, text.Width) {
		if i == 0 {
			line = th.Title.Render(authResultsName) + strings.TrimPrefix(line, authResultsName)
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, th.Title.Render("mailcred score "+safetext.Line(rep.File, 0)))
	sub := "IP " + ip.String()
	if helo != "" {
		sub += " · HELO " + safetext.Line(helo, 0)
	}
	if rep.Domain != "" {
		sub += " · From domain " + safetext.Line(rep.Domain, 0)
	}
	fmt.Fprintln(w, "  "+th.Muted.Render(sub))
	for _, n := range rep.Notes {
		fmt.Fprintln(w, "  "+th.Muted.Render(safetext.Line(n, 0)))
	}
	fmt.Fprintln(w, "  "+th.Muted.Render("resolver "+strings.Join(servers, ", ")))
	fmt.Fprintln(w)
	text.Results(w, rep.Checks, rep.Queries)
	fmt.Fprintln(w)
	text.Score(w, rep.Score, rep.Max, rep.Checks)
	text.QueryLog(w, rep.Queries)
	return nil
}

const authResultsName = "Authentication-Results:"

// foldAuthResults renders the field folded for a terminal of the given
// width (RFC 5322 §2.2.3 folding, so the lines can be pasted as a header):
// one result per line, long results broken at spaces outside quoted
// strings, continuation lines indented. Every line is sanitised.
func foldAuthResults(value string, width int) []string {
	if width < 40 {
		width = 80
	}
	parts := strings.Split(value, "; ")
	lines := []string{authResultsName + " " + safetext.Line(parts[0], 0) + semicolon(len(parts) > 1)}
	for i, p := range parts[1:] {
		const indent, more = "    ", "      "
		line := indent
		for _, word := range wordsOutsideQuotes(safetext.Line(p, 0) + semicolon(i+2 < len(parts))) {
			if line != indent && line != more && len([]rune(line))+1+len([]rune(word)) > width {
				lines = append(lines, line)
				line = more
			}
			if line != indent && line != more {
				line += " "
			}
			line += word
		}
		lines = append(lines, line)
	}
	return lines
}

func semicolon(more bool) string {
	if more {
		return ";"
	}
	return ""
}

// wordsOutsideQuotes splits at spaces that are not inside a quoted string.
func wordsOutsideQuotes(s string) []string {
	var words []string
	var cur strings.Builder
	quoted, escaped := false, false
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
		case r == '\\' && quoted:
			escaped = true
		case r == '"':
			quoted = !quoted
		case r == ' ' && !quoted:
			if cur.Len() > 0 {
				words = append(words, cur.String())
				cur.Reset()
			}
			continue
		}
		cur.WriteRune(r)
	}
	if cur.Len() > 0 {
		words = append(words, cur.String())
	}
	return words
}
