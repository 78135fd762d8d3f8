package scoring

import (
	"context"
	"crypto"
	"fmt"
	"net/http"
	"net/netip"
	"runtime/debug"
	"sync"
	"time"

	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/smtpx"
)

// Evidence is everything a check may look at: the sending setup as the user
// describes it, and later the message and the SMTP conversation.
type Evidence struct {
	Domain   string       // the sending domain (the From and MAIL FROM domain)
	MailFrom string       // envelope sender; empty means postmaster@Domain
	IPs      []netip.Addr // the sending IPs, v4 and v6
	HELO     string       // the name the MTA gives in EHLO
	Selector string       // DKIM selector
	// DKIMKey is the private key in use, for dkim.key-match. Never printed.
	DKIMKey crypto.Signer
	// Message is the raw message (CRLF) for the message checks, if any.
	Message []byte
	// SMTP is what a send session saw, for tls.starttls and
	// smtp.response; nil when nothing was sent.
	SMTP *SMTPFacts
}

// SMTPFacts is the part of an SMTP conversation the checks judge. Plain
// values, so scoring does not depend on the session packages.
type SMTPFacts struct {
	Route  string // "mx", "HOST:PORT" or "sendmail"
	Server string // the host name the session talked to (the MX name)
	Addr   string // its address and port
	Local  string // the local address used: the sending IP receivers saw

	// TLSMode is the TLS mode the session ran in, as smtpc names it:
	// "opportunistic" (STARTTLS when offered, as MTAs do), "starttls"
	// (required), "implicit" (TLS from the first byte) or "none"; empty
	// for sendmail.
	TLSMode         string
	StartTLSOffered bool
	TLS             bool   // the message went over TLS (STARTTLS or implicit)
	TLSError        string // why it did not, when TLS is false: a failed or refused STARTTLS, --tls none
	TLSVersion      string
	CipherSuite     string
	CertVerified    bool   // the chain verified against Server
	CertError       string // why the certificate did not verify, when TLS is true

	// Outcome is how the send ended (smtpx.Failed: no answer, a
	// connection or protocol failure); Stage is where it was decided,
	// NoStage for sendmail.
	Outcome  smtpx.Outcome
	Stage    smtpx.Stage
	Code     int
	Enhanced string
	Reply    []string // the final reply's lines, already sanitised
	Err      string   // the error when Outcome is "error"
	// Desync: the server sent a reply nobody asked for; the session was
	// stopped at Stage, as no later reply could be matched to its command.
	Desync bool
	// Withheld: the sender stopped before AUTH rather than send the
	// password over a connection it could not trust (Err says why).
	Withheld bool

	// The explanation of the final reply (session/explain), if any.
	Provider string
	Meaning  string
	RulesOut string
	Fix      string
	Link     string
	Related  []string // related check ids
}

// Env is what a check runs against: the evidence and the one resolver.
type Env struct {
	Evidence Evidence
	DNS      *dnsx.Resolver
	// HTTPS fetches what DNS points at over HTTPS (the MTA-STS policy,
	// RFC 8461 §3.3). nil means a client that resolves names through DNS
	// and verifies certificates against the system roots; tests set one
	// whose dialer and roots stay on loopback.
	HTTPS *http.Client
}

// Check is one entry of the catalogue: a stable id and a function of the
// environment. Adding a check touches its own file and the catalogue list.
type Check struct {
	ID    string
	Title string // shown while pending
	// Applies reports whether the check has anything to look at; a check
	// that does not apply is reported as skip without running.
	Applies func(Evidence) bool
	Run     func(ctx context.Context, env *Env) Result
}

// Pending is the placeholder result shown before a check finishes.
func (c Check) Pending() Result {
	return Result{ID: c.ID, Status: Pending, Title: c.Title}
}

// Run runs the checks concurrently and sends each result on the returned
// channel as it finishes; the channel closes when all are done. Each result
// carries the DNS queries its check made and how long it took.
func Run(ctx context.Context, env *Env, checks []Check) <-chan Result {
	out := make(chan Result, len(checks))
	var wg sync.WaitGroup
	for _, c := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out <- runOne(ctx, env, c)
		}()
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out
}

// RunAll runs the checks and returns the results in catalogue order.
func RunAll(ctx context.Context, env *Env, checks []Check) []Result {
	byID := make(map[string]Result, len(checks))
	for r := range Run(ctx, env, checks) {
		byID[r.ID] = r
	}
	results := make([]Result, 0, len(checks))
	for _, c := range checks {
		results = append(results, byID[c.ID])
	}
	return results
}

func runOne(ctx context.Context, env *Env, c Check) (res Result) {
	start := time.Now()
	if c.Applies != nil && !c.Applies(env.Evidence) {
		return Result{ID: c.ID, Status: Skip, Title: c.Title + ": not applicable"}
	}
	rec := &dnsx.Recorder{}
	ctx = dnsx.WithRecorder(ctx, rec)
	defer func() {
		// A check is code reading hostile input; one bug must not take the
		// whole run down with it.
		if p := recover(); p != nil {
			res = Result{ID: c.ID, Status: Error, Title: c.Title + ": internal error",
				Detail: fmt.Sprintf("%v\n%s", p, debug.Stack())}
		}
		res.ID = c.ID
		res.Queries = rec.Queries()
		res.Elapsed = time.Since(start)
	}()
	return c.Run(ctx, env)
}
