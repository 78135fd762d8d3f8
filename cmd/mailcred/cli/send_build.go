package cli

import (
	"crypto/x509"
	"fmt"
	"net/mail"
	"net/netip"
	"os"
	"runtime"
	"strings"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/inputfile"
	"github.com/mailcred/mailcred/session"
	"github.com/mailcred/mailcred/session/compose"
	"github.com/mailcred/mailcred/session/mta"
	"github.com/mailcred/mailcred/session/sign"
	"github.com/mailcred/mailcred/session/smtpc"
)

// built is the plan made from the flags, with every problem found.
type built struct {
	plan     session.Plan
	problems []string // each a line for the user; any means exit 2
	warnings []string
	ips      []netip.Addr // --ip, overriding the connection's address
	selector string
}

// maxSmallFile bounds the password and CA files read.
const maxSmallFile = 1 << 20

// build turns the flags into a plan and lists every problem at once: the
// flags' own, then the plan's (session.Plan.Validate, the draft's
// included). environ supplies $MAILCRED_SMTP_PASSWORD; tty says whether a
// password can be prompted for.
func (f *sendFlags) build(environ []string, tty bool) built {
	var b built
	add := func(format string, args ...any) { b.problems = append(b.problems, fmt.Sprintf(format, args...)) }
	m := compose.Message{Subject: f.subject, From: parseAddress(f.from), Omit: map[string]bool{}}
	m.To, m.Cc = parseAddressLists(f.to), parseAddressLists(f.cc)
	for _, h := range f.headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok {
			add(`--header %q: want "Name: value"`, h)
			continue
		}
		m.Extra = append(m.Extra, compose.Header{Name: strings.TrimSpace(name), Value: strings.TrimSpace(value)})
	}
	for _, name := range f.omit {
		m.Omit[strings.TrimSpace(name)] = true
	}
	switch {
	case f.body != "" && f.bodyFile != "":
		add("give --body or --body-file, not both")
	case f.bodyFile != "":
		body, err := readLimited(f.bodyFile, compose.MaxBody)
		if err != nil {
			add("--body-file: %v", err)
		}
		m.Body = string(body)
	default:
		m.Body = f.body
		if m.Body == "" {
			m.Body = "This is a test message sent with mailcred.\n"
		}
	}

	b.plan = session.Plan{Message: m, EnvelopeFrom: strings.TrimSpace(f.mailFrom), HELO: strings.TrimSpace(f.helo),
		RequireVerifiedTLS: f.tlsVerify, AllowUnverifiedAuth: f.authUnverified}
	route, err := session.ParseRoute(f.via, f.tls)
	if err != nil {
		add("%v", err)
	}
	switch {
	case f.ipv4 && f.ipv6:
		add("give -4 or -6, not both")
	case f.ipv4:
		route.Family = session.Family4
	case f.ipv6:
		route.Family = session.Family6
	}
	f.buildMTA(&route, &b, add)
	b.plan.Route = route
	if f.tlsCA != "" {
		pool, err := loadCAs(f.tlsCA)
		if err != nil {
			add("--tls-ca: %v", err)
		}
		b.plan.RootCAs = pool
	}
	f.buildAuth(&b, environ, tty, add)
	f.buildDKIM(&b, add)
	if route.Kind == session.ViaMTA && !f.sign {
		b.plan.DKIM = nil // the MTA signs; the selector stays for the checks
	}
	ips, bad := parseIPs(f.ips)
	b.ips = ips
	b.problems = append(b.problems, bad...)
	if err == nil { // a route that did not parse makes the plan's own route problems noise
		for _, p := range validate(b.plan) {
			b.problems = append(b.problems, flagProblem(p))
		}
	}
	return b
}

// buildMTA reads --mta-command, --mta-log and --sign.
func (f *sendFlags) buildMTA(route *session.Route, b *built, add func(string, ...any)) {
	if route.Kind != session.ViaMTA {
		if f.mtaCommand != "" || f.mtaLog != "" {
			add("--mta-command and --mta-log need --via mta")
		}
		if f.sign {
			add("--sign is for --via mta; other routes sign whenever --dkim-key is given")
		}
		return
	}
	if f.sign && f.dkimKey == "" {
		add("--sign needs --dkim-key and --selector")
	}
	if f.mtaCommand != "" {
		cmd, err := mta.ParseCommand(f.mtaCommand, "")
		if err != nil {
			add("%v", err)
		}
		route.MTA = cmd
	}
	switch strings.ToLower(strings.TrimSpace(f.mtaLog)) {
	case "":
	case "journald", "journal":
		b.plan.MTA.Log = mta.LogSource{Journal: true}
	default:
		b.plan.MTA.Log = mta.LogSource{File: f.mtaLog}
	}
}

// buildAuth sets the AUTH credentials: the password from the file or
// the environment. With neither, on a terminal, the password stays empty
// and is asked for after the confirmation.
func (f *sendFlags) buildAuth(b *built, environ []string, tty bool, add func(string, ...any)) {
	if f.authUser == "" {
		if f.authPW != "" {
			add("--auth-password-file needs --auth-user")
		}
		return
	}
	creds := &smtpc.Credentials{User: f.authUser}
	switch pw, fromEnv := lookupEnv(environ, envPassword); {
	case f.authPW != "":
		data, err := readLimited(f.authPW, maxSmallFile)
		if err != nil {
			add("--auth-password-file: %v", err)
			break
		}
		creds.Password = strings.TrimRight(string(data), "\r\n")
		if creds.Password == "" {
			add("--auth-password-file %s is empty", f.authPW)
		}
		if w := secretFileProblem(f.authPW); w != "" {
			b.warnings = append(b.warnings, w)
		}
	case fromEnv && pw != "":
		creds.Password = pw
	case !tty:
		add("--auth-user needs a password: --auth-password-file FILE or $%s (there is no terminal to ask on)", envPassword)
	}
	b.plan.Auth = creds
}

// buildDKIM loads the signing key and its options.
func (f *sendFlags) buildDKIM(b *built, add func(string, ...any)) {
	b.selector = strings.TrimSpace(f.selector)
	if f.dkimKey == "" {
		if f.dkimDomain != "" {
			add("--dkim-domain needs --dkim-key and --selector")
		}
		return
	}
	hc, bc, ok := parseCanon(f.canon)
	if !ok {
		add("--canon %q: want relaxed, simple, or HEADER/BODY such as relaxed/simple (RFC 6376 §3.4)", f.canon)
	}
	if b.selector == "" {
		add("--dkim-key needs --selector: the key record is SELECTOR._domainkey.DOMAIN")
		return
	}
	key, err := dkim.LoadPrivateKey(f.dkimKey)
	if err != nil {
		add("--dkim-key: %v", err)
		return
	}
	if w := dkim.KeyFilePermissionProblem(f.dkimKey); w != "" {
		b.warnings = append(b.warnings, w)
	}
	domain := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(f.dkimDomain)), ".")
	if domain == "" {
		domain = scoring.DomainOf(b.plan.Message.From.Address)
	}
	b.plan.DKIM = &sign.Options{Domain: domain, Selector: b.selector, Key: key, Header: hc, Body: bc}
}

// validate is the plan's validation, before a password to be prompted
// for is known.
func validate(p session.Plan) []error {
	if p.Auth != nil && p.Auth.Password == "" && p.Auth.User != "" {
		creds := *p.Auth
		creds.Password = "prompt"
		p.Auth = &creds
	}
	return p.Validate()
}

// parseCanon reads --canon: one algorithm for both, or HEADER/BODY.
func parseCanon(s string) (sign.Canon, sign.Canon, bool) {
	h, body, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "/")
	if !ok {
		body = h
	}
	valid := func(c string) bool { return c == string(sign.Relaxed) || c == string(sign.Simple) }
	return sign.Canon(h), sign.Canon(body), valid(h) && valid(body)
}

// parseAddress reads "Name <a@example.com>" or a bare address; what does
// not parse is kept as typed, so the draft's validation names it.
func parseAddress(s string) mail.Address {
	s = strings.TrimSpace(s)
	if a, err := mail.ParseAddress(s); err == nil {
		return *a
	}
	return mail.Address{Address: s}
}

// parseAddressLists reads repeated, comma-separated address flags.
func parseAddressLists(values []string) []mail.Address {
	var out []mail.Address
	for _, v := range values {
		if list, err := mail.ParseAddressList(v); err == nil {
			for _, a := range list {
				out = append(out, *a)
			}
			continue
		}
		out = append(out, parseAddress(v))
	}
	return out
}

// flagProblem names a plan problem by the flag that set the field.
func flagProblem(err error) string {
	fe, ok := err.(*compose.FieldError)
	if !ok {
		return err.Error()
	}
	base, _, _ := strings.Cut(fe.Field, "[")
	base, _, _ = strings.Cut(base, ".")
	flags := map[string]string{
		"From": "--from", "From name": "--from", "To": "--to", "Cc": "--cc", "Subject": "--subject",
		"MessageID": "--header", "Extra": "--header", "Body": "--body", "Omit": "--omit",
		"Recipients": "--to", "EnvelopeFrom": "--mail-from", "HELO": "--helo", "Auth": "--auth-user",
		"DKIM": "--dkim-key", "Route": "--via", "Domain": "--from",
	}
	flag, ok := flags[base]
	if !ok {
		return fe.Error()
	}
	return flag + " (" + fe.Field + "): " + fe.Problem
}

// readLimited reads a regular file of at most limit bytes (a FIFO or a
// device is refused, never waited on).
func readLimited(path string, limit int64) ([]byte, error) {
	return inputfile.ReadFile(path, limit)
}

// loadCAs reads PEM CA certificates.
func loadCAs(path string) (*x509.CertPool, error) {
	data, err := readLimited(path, maxSmallFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s holds no PEM certificate", path)
	}
	return pool, nil
}

// secretFileProblem warns when a password file can be read by others.
func secretFileProblem(path string) string {
	if runtime.GOOS == "windows" {
		return ""
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return ""
	}
	return fmt.Sprintf("%s can be read or changed by users other than its owner (mode %04o): run chmod 600 %s",
		path, fi.Mode().Perm(), path)
}
