package cli

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"charm.land/lipgloss/v2"

	"github.com/mailcred/mailcred/cmd/mailcred/cli/render"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/inputfile"
	"github.com/mailcred/mailcred/scoring/safetext"
	"github.com/mailcred/mailcred/session/receive"
)

// receiveFlags are the flags of `mailcred receive`.
type receiveFlags struct {
	listen          string
	domains         []string
	tlsCert, tlsKey string
	maxSize         string
	hostname        string
}

func newReceiveCmd(g *globals) *cobra.Command {
	f := &receiveFlags{}
	cmd := &cobra.Command{
		Use:   "receive --listen ADDR [--domain D]... [--tls-cert F --tls-key F] [--max-size N]",
		Short: "Run an SMTP server that scores every message it receives (a self-hosted mail-tester); never relays",
		Long: `receive listens for SMTP and judges every message it is sent the way a receiving server
does — SPF for the connecting IP and the envelope sender, DKIM, DMARC alignment, the message's
headers, reverse DNS, blocklists — then prints the Authentication-Results header, the checks and
the score. The sender sees the score at once in the reply to the end of data:
"250 2.0.0 scored 7.8/10, thank you (fail: dkim.signature headers.to)".

It never relays, delivers or stores anything: every message is scored and discarded. With
--domain, recipients elsewhere get 550 5.7.1 relaying denied; --domain is required unless it
listens on a loopback address, where it takes any recipient (the banner says so). STARTTLS is
offered with --tls-cert/--tls-key, or with a self-signed certificate made at start. Sessions are
bounded in number (50, 5 per IPv4 address or IPv6 /64; when full, a new network takes the slot of
the least active session of the busiest one), time (20 s to EHLO, 1 min per command, 15 min in
all, DATA at 1 KB/s or faster after its first minute) and message size (--max-size, default 10M);
a header section is kept up to 1000 fields and 1 MiB. EHLO names and addresses with control
characters are refused, never echoed. Point a test address's
MX at this host (port 25 needs root or CAP_NET_BIND_SERVICE), or send to it directly with swaks.

With --format json each message is one JSON object on its own line (NDJSON), with the shape of
'mailcred score --format json' plus the envelope; the other lines go to standard error.
It runs until interrupted (Ctrl-C) and then exits 0.`,
		Example: `  mailcred receive --listen 127.0.0.1:2525
  swaks --server 127.0.0.1:2525 --to test@example.com --tls
  mailcred receive --listen :25 --domain test.example.com --tls-cert cert.pem --tls-key key.pem --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runReceive(cmd, g, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "", "address to listen on, HOST:PORT (required; :25 for every address)")
	fl.StringArrayVar(&f.domains, "domain", nil, "take mail only for this recipient domain (repeatable; required unless --listen is a loopback address, where any domain is taken)")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate (chain) offered after STARTTLS (default: a self-signed one)")
	fl.StringVar(&f.tlsKey, "tls-key", "", "PEM private key of --tls-cert")
	fl.StringVar(&f.maxSize, "max-size", "10M", "largest message accepted, in bytes or with a K or M suffix")
	fl.StringVar(&f.hostname, "hostname", "", "name in the greeting and the Authentication-Results header (default: this host's name)")
	cmd.MarkFlagRequired("listen")
	return cmd
}

func runReceive(cmd *cobra.Command, g *globals, f *receiveFlags) error {
	if err := g.checkFormat(); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(f.listen); err != nil {
		return usageError("--listen %q: want HOST:PORT, such as 127.0.0.1:2525 or :25 (every address)", f.listen)
	}
	maxSize, err := parseSize(f.maxSize)
	if err != nil {
		return usageError("--max-size %q: %v", f.maxSize, err)
	}
	var cert *tls.Certificate
	switch {
	case (f.tlsCert == "") != (f.tlsKey == ""):
		return usageError("--tls-cert and --tls-key go together")
	case f.tlsCert != "":
		c, err := loadKeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			return usageError("--tls-cert/--tls-key: %v", err)
		}
		cert = &c
	}
	// One cache across the messages, each answer kept for its TTL: the
	// same senders ask the same names, and DATA is answered sooner.
	cache := dnsx.NewCache(0, nil)
	// Fail now, not at the first message, if no resolver can be made.
	r, err := g.newResolver()
	if err != nil {
		return err
	}
	p, err := newReceivePrinter(g)
	if err != nil {
		return err
	}
	errLog := io.Discard
	if g.verbose {
		errLog = g.io.Err
	}
	ctx := cmd.Context()
	srv, err := receive.Listen(ctx, f.listen, receive.Options{
		Hostname:        f.hostname,
		Domains:         f.domains,
		Certificate:     cert,
		MaxMessageBytes: maxSize,
		NewResolver:     func(domains ...string) (*dnsx.Resolver, error) { return g.newSharedResolver(cache, domains...) },
		DQSKey:          g.dqsSecret(),
		OnReport:        p.report,
		ErrorLog:        errLog,
	})
	if err != nil {
		switch {
		case errors.Is(err, os.ErrPermission):
			err = fmt.Errorf("%w (ports below 1024 need root or CAP_NET_BIND_SERVICE)", err)
		case errors.Is(err, syscall.EADDRINUSE):
			err = fmt.Errorf("receive: %s is in use by another program (an MTA on :25?): stop it or choose another --listen", f.listen)
		}
		return &exitError{code: ExitError, err: err}
	}
	p.banner(srv, r.Servers())
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		return &exitError{code: ExitError, err: err}
	}
	p.stopped()
	return nil
}

// parseSize reads "10485760", "512K" or "10M" (binary multiples), up to
// maxMessage.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	switch {
	case strings.HasSuffix(strings.ToUpper(s), "K"):
		mult, s = 1<<10, s[:len(s)-1]
	case strings.HasSuffix(strings.ToUpper(s), "M"):
		mult, s = 1<<20, s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	switch {
	case err != nil:
		return 0, errors.New("want a number of bytes, or one with a K or M suffix")
	case n <= 0:
		return 0, errors.New("must be positive")
	case n > maxMessage/mult:
		return 0, fmt.Errorf("over %d MB; no receiver accepts a message that big", maxMessage>>20)
	}
	return n * mult, nil
}

// receivePrinter prints the banner and each report: text for a person,
// or one JSON object per line. Reports arrive from concurrent sessions;
// each is printed whole.
type receivePrinter struct {
	json  bool
	out   io.Writer // reports
	notes io.Writer // the banner: stdout in text mode, stderr with JSON
	text  render.Text

	mu sync.Mutex
	n  int
}

func newReceivePrinter(g *globals) (*receivePrinter, error) {
	if g.format == "json" {
		return &receivePrinter{json: true, out: g.io.Out, notes: g.io.Err}, nil
	}
	w, text, err := g.textOut()
	if err != nil {
		return nil, err
	}
	return &receivePrinter{out: w, notes: w, text: text}, nil
}

// banner says where the server listens and warns that it takes mail from
// anyone.
func (p *receivePrinter) banner(srv *receive.Server, resolvers []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	th := p.text.Theme
	addr := srv.Addr().String()
	fmt.Fprintln(p.notes, th.Title.Render("mailcred receive: listening on "+addr+" as "+srv.Hostname()))
	scope := "for any recipient domain, as it listens on loopback only (elsewhere --domain is required)"
	if d := srv.Domains(); len(d) > 0 {
		scope = "for " + strings.Join(d, ", ") + " only"
	}
	p.note(p.notes, th.Warn, "Warning: this server accepts mail from anyone, "+scope+
		". It never relays or delivers: each message is scored, then discarded.")
	switch c := srv.Certificate(); {
	case c == nil:
		p.note(p.notes, th.Muted, "STARTTLS not offered.")
	case srv.SelfSigned():
		sum := sha256.Sum256(c.Raw)
		p.note(p.notes, th.Muted, "STARTTLS with a self-signed certificate for "+c.Subject.CommonName+
			", made for this run; --tls-cert and --tls-key give your own.")
		p.note(p.notes, th.Muted, "SHA-256 "+hex.EncodeToString(sum[:]))
	default:
		p.note(p.notes, th.Muted, fmt.Sprintf("STARTTLS with the certificate for %s, issued by %s, valid until %s.",
			c.Subject.CommonName, c.Issuer.CommonName, c.NotAfter.Format(time.DateOnly)))
	}
	p.note(p.notes, th.Muted, fmt.Sprintf("Messages up to %s · resolver %s · Ctrl-C stops.",
		sizeText(srv.MaxMessageBytes()), strings.Join(resolvers, ", ")))
	p.note(p.notes, th.Muted, "Try: swaks --server "+addr+" --to test@"+exampleDomain(srv.Domains())+" --tls")
	fmt.Fprintln(p.notes)
}

// note writes an indented, wrapped, sanitised line.
func (p *receivePrinter) note(w io.Writer, style lipgloss.Style, text string) {
	width := p.text.Width
	if width < 40 {
		width = 80
	}
	for _, l := range wrapWords(safetext.Line(text, 0), width-2) {
		fmt.Fprintln(w, "  "+style.Render(l))
	}
}

func (p *receivePrinter) stopped() {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.notes, "mailcred receive: stopped after %d message(s)\n", p.n)
}

// report prints one report whole; OnReport calls it from the sessions.
func (p *receivePrinter) report(rep receive.Report) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	if p.json {
		// One object per line (JSON Lines).
		if err := writeJSONLine(p.out, rep); err != nil {
			fmt.Fprintln(p.notes, "mailcred receive:", err)
		}
		return
	}
	w, text, th := p.out, p.text, p.text.Theme
	fmt.Fprintln(w, th.Title.Render(fmt.Sprintf("Message %d", p.n))+" "+
		th.Muted.Render("received "+rep.Received.Format("2006-01-02 15:04:05 MST")+" from "+safetext.Line(rep.Peer, 0)))
	env := "HELO " + orNone(safetext.Line(rep.HELO, 0))
	if rep.TLS != "" {
		env += " · " + rep.TLS
	} else {
		env += " · no TLS"
	}
	mailFrom := "<" + safetext.Line(rep.MailFrom, 0) + ">"
	rcpts := make([]string, len(rep.Rcpts))
	for i, r := range rep.Rcpts {
		rcpts[i] = safetext.Line(r, 0)
	}
	env2 := fmt.Sprintf("MAIL FROM %s → %s · %d bytes", mailFrom, strings.Join(rcpts, ", "), rep.Size)
	if rep.Domain != "" {
		env2 += " · From domain " + safetext.Line(rep.Domain, 0)
	}
	for _, l := range append([]string{env, env2}, rep.Notes...) {
		p.note(w, th.Muted, l)
	}
	for i, line := range foldAuthResults(rep.AuthenticationResults, text.Width) {
		if i == 0 {
			line = th.Title.Render(authResultsName) + strings.TrimPrefix(line, authResultsName)
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w)
	text.Results(w, rep.Results, rep.Queries)
	fmt.Fprintln(w)
	text.Score(w, rep.Value, rep.Max, rep.Results)
	text.QueryLog(w, rep.Queries)
	fmt.Fprintln(w)
}

func sizeText(n int64) string {
	switch {
	case n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func exampleDomain(domains []string) string {
	if len(domains) > 0 {
		return domains[0]
	}
	return "example.com"
}

// loadKeyPair is tls.LoadX509KeyPair reading only regular files.
func loadKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	cert, err := inputfile.ReadFile(certFile, maxSmallFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	key, err := inputfile.ReadFile(keyFile, maxSmallFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(cert, key)
}
