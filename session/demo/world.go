package demo

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"net/netip"
	"slices"
	"sync"

	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/session/compose"
	"github.com/mailcred/mailcred/session/explain"
	"github.com/mailcred/mailcred/session/smtptest"
)

// World is a running demo world. Its methods are safe for concurrent use.
type World struct {
	opts Options
	scen scenario
	keys map[string]crypto.Signer // selector → key, made at start, never changed
	dns  *dnstest.Server
	cert *smtptest.Certificate
	// explainer loads the rejection knowledge base once, on the first
	// send, for every send after it.
	explainer func() (*explain.KB, error)
	// providers are in table order; the slice is never changed after Start.
	providers []*provider

	ctx      context.Context // for the providers' DNS work; cancelled by Close
	cancel   context.CancelFunc
	poke     chan struct{}
	stop     chan struct{}
	loopDone chan struct{}
	events   chan Event
	close    sync.Once
	closeErr error

	mu        sync.Mutex
	st        state
	published zoneSet // the sender zone as the DNS server has it
	pending   []change
	log       []Event
	report    *Report
	refs      int // refusals so far, for their reference ids
	closed    bool
}

// Start builds the world of o.Scenario and starts its DNS and SMTP
// servers on 127.0.0.1. ctx bounds the start only; Close stops the world.
func Start(ctx context.Context, o Options) (*World, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	scen, _ := findScenario(o.Scenario)
	w := &World{
		opts: o, scen: scen, keys: map[string]crypto.Signer{},
		poke: make(chan struct{}, 1), stop: make(chan struct{}), loopDone: make(chan struct{}),
		events: make(chan Event, eventBuffer), explainer: sync.OnceValues(explain.Load),
	}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	for _, sel := range slices.Sorted(maps.Keys(scen.keys)) {
		if err := ctx.Err(); err != nil {
			w.cancel()
			return nil, fmt.Errorf("demo: start: %w", err)
		}
		k, err := o.KeyGen(scen.keys[sel])
		if err != nil {
			w.cancel()
			return nil, fmt.Errorf("demo: DKIM key for selector %s: %w", sel, err)
		}
		w.keys[sel] = k
	}
	if w.st, err = scen.start(w.keys); err != nil {
		w.cancel()
		return nil, err
	}
	if err := w.startServers(ctx); err != nil {
		w.shutdown()
		return nil, err
	}
	go w.loop()
	return w, nil
}

// startServers starts the DNS server with every zone, then one SMTP server
// per provider, all sharing one certificate for their MX names.
func (w *World) startServers(ctx context.Context) error {
	var err error
	if w.dns, err = dnstest.Start(""); err != nil {
		return fmt.Errorf("demo: DNS server: %w", err)
	}
	defs := providerTable()
	var names []string
	for _, d := range defs {
		if err := w.dns.AddZone(d.zone()); err != nil {
			return fmt.Errorf("demo: zone of %s: %w", d.domain, err)
		}
		names = append(names, d.mxHost)
	}
	w.mu.Lock()
	err = w.publishLocked()
	w.mu.Unlock()
	if err != nil {
		return err
	}
	if w.cert, err = smtptest.NewCertificate(names...); err != nil {
		return fmt.Errorf("demo: certificate: %w", err)
	}
	for _, d := range defs {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("demo: start: %w", err)
		}
		p := &provider{def: d}
		srv, err := smtptest.Start(smtptest.Options{Domain: d.mxHost, Certificate: w.cert, Policy: w.policy(p)})
		if err != nil {
			return fmt.Errorf("demo: SMTP server of %s: %w", d.domain, err)
		}
		p.srv = srv
		w.providers = append(w.providers, p)
	}
	return nil
}

// publishLocked makes the DNS server serve the sender's zone as the state
// says. w.mu must be held.
func (w *World) publishLocked() error {
	text, err := senderZone(w.st)
	if err != nil {
		return err
	}
	next := parseZoneSet(text)
	if err := next.sync(w.dns, w.published); err != nil {
		return err
	}
	w.published = next
	return nil
}

// Close stops every server and goroutine of the world and closes the
// Events channel. It waits for them; calling it again does nothing.
func (w *World) Close() error {
	w.close.Do(func() {
		close(w.stop)
		<-w.loopDone
		w.closeErr = w.shutdown()
	})
	return w.closeErr
}

// shutdown marks the world closed, then stops the servers.
func (w *World) shutdown() error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.events)
	}
	w.mu.Unlock()
	w.cancel()
	var errs []error
	for _, p := range w.providers {
		if err := p.srv.Close(); err != nil {
			errs = append(errs, fmt.Errorf("demo: closing %s: %w", p.def.domain, err))
		}
	}
	if w.dns != nil {
		if err := w.dns.Close(); err != nil {
			errs = append(errs, fmt.Errorf("demo: closing DNS: %w", err))
		}
	}
	return errors.Join(errs...)
}

// snapshot settles the world and returns a copy of its state; false once
// it is closed (the copy is then the last state).
func (w *World) snapshot() (state, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.settleLocked()
	}
	return w.st.clone(), !w.closed
}

// Scenario is the scenario the world started in.
func (w *World) Scenario() Scenario {
	s := w.scen.Scenario
	s.Fixes = append([]string(nil), s.Fixes...)
	return s
}

// DNSAddr is the DNS server's host:port (UDP and TCP), for --resolver.
func (w *World) DNSAddr() string { return w.dns.Addr }

// CertPool holds the CA of the providers' certificates, so a session can
// verify their STARTTLS certificates against their MX names.
func (w *World) CertPool() *x509.CertPool { return w.cert.Pool }

// Sender is the sending host as it is now.
func (w *World) Sender() Sender {
	st, _ := w.snapshot()
	return Sender{
		Domain: senderDomain, HELO: senderHost, From: senderAddress,
		IPv4: senderIPv4(), IPv6: senderIPv6(), IPv6Enabled: st.ipv6,
		Selector: st.selector, Key: w.keys[st.selector], Signing: st.signing,
	}
}

// SourceIP is the address providers see mail come from now: 2001:db8::25
// while IPv6 sending is on, 192.0.2.25 otherwise.
func (w *World) SourceIP() netip.Addr { return w.Sender().SourceIP() }

// SetIPv6 turns IPv6 sending on or off at once: the presenter's switch
// (turning it off is also the story's fix ipv6.disable).
func (w *World) SetIPv6(on bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	if err := w.settleLocked(); err != nil {
		return err
	}
	if w.st.ipv6 == on {
		return nil
	}
	w.st.ipv6 = on
	text := "IPv6 sending turned off: receivers now see mail from " + senderIPv4().String()
	if on {
		text = "IPv6 sending turned on: receivers now see mail from " + senderIPv6().String()
	}
	w.emitLocked(Event{At: w.opts.Clock(), Kind: EventState, Text: text})
	return nil
}

// Providers lists the receiving servers: gmail, outlook, gmx, tester.
func (w *World) Providers() []Provider {
	out := make([]Provider, len(w.providers))
	for i, p := range w.providers {
		out[i] = p.info()
	}
	return out
}

// Provider returns one provider by id.
func (w *World) Provider(id string) (Provider, error) {
	p, err := w.provider(id)
	if err != nil {
		return Provider{}, err
	}
	return p.info(), nil
}

// SMTPPort is the port provider id's server listens on: the MX record
// means port 25, and a session sending "via mx" in the demo connects to
// the MX host's address on this port instead.
func (w *World) SMTPPort(id string) (int, error) {
	p, err := w.Provider(id)
	return p.Port, err
}

// ErrUnknownProvider is returned for a provider id the world does not have.
var ErrUnknownProvider = errors.New("unknown provider")

func (w *World) provider(id string) (*provider, error) {
	for _, p := range w.providers {
		if p.def.id == id {
			return p, nil
		}
	}
	return nil, fmt.Errorf("demo: %w %q", ErrUnknownProvider, id)
}

// Draft is the scenario's test message as it stands: From
// you@example.com, To the tester's address — left out of the header
// while the story's draft lacks To: (compose.Message.Omit), until the fix
// draft.to. A session sending to another provider puts its recipient in
// To (Send does).
func (w *World) Draft() compose.Message {
	w.mu.Lock()
	omit := w.st.omitTo
	w.mu.Unlock()
	m := compose.Message{
		From:    mail.Address{Address: senderAddress},
		To:      []mail.Address{{Address: "test-7f3a9c@tester.example"}},
		Subject: "Test from my new VPS",
		Body: "Hello,\n\nthis is a test message from mail.example.com, sent to see whether it arrives.\n\n" +
			"-- \nyou@example.com\n",
	}
	if omit {
		m.Omit = map[string]bool{"To": true}
	}
	return m
}
