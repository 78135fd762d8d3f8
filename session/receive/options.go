package receive

import (
	"crypto/tls"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

// Defaults of Options.
const (
	// DefaultMaxMessageBytes is the SIZE announced (RFC 1870) and enforced.
	DefaultMaxMessageBytes = 10 << 20
	// DefaultMaxRecipients is the minimum RFC 5321 §4.5.3.1.8 asks a
	// server to buffer.
	DefaultMaxRecipients = 100
	// DefaultMaxSessions bounds concurrent sessions in all.
	DefaultMaxSessions = 50
	// DefaultMaxSessionsPerIP bounds concurrent sessions of one client
	// network: an IPv4 address, an IPv6 /64.
	DefaultMaxSessionsPerIP = 5
	// DefaultGreetingTimeout is how long a client has from connecting to
	// its EHLO: a mail server says it at once; a slowloris never does.
	DefaultGreetingTimeout = 20 * time.Second
	// DefaultReadTimeout is the wait for each command line. RFC 5321
	// §4.5.3.2.7 suggests five minutes for an MTA's peers; a server open
	// to anyone cannot give a stalled client that long, and a real client
	// sends its next command in milliseconds.
	DefaultReadTimeout = time.Minute
	// DefaultMinDataRate is the slowest DATA transfer kept up, in bytes a
	// second after the first minute: 10 MB may take three hours, one byte
	// a second is cut off.
	DefaultMinDataRate = 1024
	// DefaultWriteTimeout bounds one reply write.
	DefaultWriteTimeout = time.Minute
	// DefaultSessionTimeout bounds a whole session, whatever the client
	// does: a byte a minute must not hold a slot for ever.
	DefaultSessionTimeout = 15 * time.Minute
	// DefaultScoreTimeout bounds the checks of one message.
	DefaultScoreTimeout = 2 * time.Minute
)

// Options configure a Server. Only OnReport is needed to see anything; the
// zero value of every other field means its documented default.
type Options struct {
	// Hostname is the server's name: in the greeting, as the authserv-id
	// of Authentication-Results (RFC 8601 §2.5), in a generated
	// certificate. Default: os.Hostname, else "localhost".
	Hostname string
	// Domains are the recipient domains mail is accepted for; a recipient
	// elsewhere gets 550 5.7.1 relaying denied. Empty: any domain, which
	// Listen allows only on a loopback address (anything else would look
	// like an open relay to every scanner on the internet).
	Domains []string

	// Certificate is presented after STARTTLS (RFC 3207). Nil: a
	// self-signed certificate for Hostname is generated (Server.SelfSigned
	// says so).
	Certificate *tls.Certificate
	// DisableTLS stops STARTTLS from being offered.
	DisableTLS bool

	MaxMessageBytes  int64 // default DefaultMaxMessageBytes; larger gets 552 5.3.4
	MaxRecipients    int   // per transaction; default DefaultMaxRecipients
	MaxSessions      int   // concurrent; default DefaultMaxSessions; more get 421 4.7.0
	MaxSessionsPerIP int   // concurrent per client network (IPv4 address, IPv6 /64); default DefaultMaxSessionsPerIP

	GreetingTimeout time.Duration // connect to EHLO; default DefaultGreetingTimeout
	ReadTimeout     time.Duration // each command line; default DefaultReadTimeout
	MinDataRate     int64         // bytes/s during DATA after the first minute; default DefaultMinDataRate
	WriteTimeout    time.Duration // default DefaultWriteTimeout
	SessionTimeout  time.Duration // default DefaultSessionTimeout
	ScoreTimeout    time.Duration // default DefaultScoreTimeout

	// NewResolver returns the resolver one message is checked with, given
	// the message's own domains (From and MAIL FROM, for a fresh mode). It
	// is called once per message, because a dnsx.Resolver caches for as
	// long as it lives (a server lives for days). Default: dnsx.New with
	// the system's resolver.
	NewResolver func(domains ...string) (*dnsx.Resolver, error)
	// Weights score the results; default scoring.DefaultWeights.
	Weights scoring.Weights
	// DQSKey, when set, asks the Spamhaus lists through DQS
	// (dnsbl.WithDQS); NewResolver's resolvers must mask it.
	DQSKey scoring.Secret

	// OnReport receives the report of every message scored, before the
	// client gets its reply. It is called from the session's goroutine,
	// concurrently when sessions overlap, and should not block for long.
	OnReport func(Report)
	// ErrorLog receives go-smtp's and the server's own errors, one
	// sanitised line each. Default: discarded.
	ErrorLog io.Writer
}

// withDefaults fills the defaults and checks the names.
func (o Options) withDefaults() (Options, error) {
	if o.Hostname == "" {
		if h, err := os.Hostname(); err == nil && h != "" {
			o.Hostname = h
		} else {
			o.Hostname = "localhost"
		}
	}
	o.Hostname = strings.TrimSuffix(strings.TrimSpace(o.Hostname), ".")
	if !isHostname(o.Hostname) {
		return o, fmt.Errorf("receive: hostname %q: want a domain name", o.Hostname)
	}
	domains := make([]string, 0, len(o.Domains))
	for _, d := range o.Domains {
		n := scoring.NormalDomain(d)
		if !isHostname(n) {
			return o, fmt.Errorf("receive: domain %q: want a domain name like example.com", d)
		}
		domains = append(domains, n)
	}
	o.Domains = domains
	setDefault(&o.MaxMessageBytes, DefaultMaxMessageBytes)
	setDefault(&o.MaxRecipients, DefaultMaxRecipients)
	setDefault(&o.MaxSessions, DefaultMaxSessions)
	setDefault(&o.MaxSessionsPerIP, DefaultMaxSessionsPerIP)
	setDefault(&o.GreetingTimeout, DefaultGreetingTimeout)
	setDefault(&o.ReadTimeout, DefaultReadTimeout)
	setDefault(&o.MinDataRate, DefaultMinDataRate)
	setDefault(&o.WriteTimeout, DefaultWriteTimeout)
	setDefault(&o.SessionTimeout, DefaultSessionTimeout)
	setDefault(&o.ScoreTimeout, DefaultScoreTimeout)
	if o.NewResolver == nil {
		o.NewResolver = func(...string) (*dnsx.Resolver, error) { return dnsx.New(dnsx.Config{}) }
	}
	if o.Weights == nil {
		o.Weights = scoring.DefaultWeights
	}
	if o.OnReport == nil {
		o.OnReport = func(Report) {}
	}
	if o.ErrorLog == nil {
		o.ErrorLog = io.Discard
	}
	return o, nil
}

func setDefault[T int | int64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// isHostname accepts letters, digits, hyphens, underscores and dots, up to
// 253 octets (RFC 1035 §2.3.4): what a greeting and a certificate can
// carry.
func isHostname(s string) bool {
	if s == "" || len(s) > 253 || strings.HasPrefix(s, ".") || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.', r == '_':
		default:
			return false
		}
	}
	return true
}
