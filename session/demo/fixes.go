package demo

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/spf"
)

// Kind says what a fix changes, which decides how long it takes.
type Kind string

// The kinds of fix.
const (
	KindDNS       Kind = "dns"       // a record in the sender's zone: visible after the propagation delay
	KindBlocklist Kind = "blocklist" // a blocklist's own zone (a delisting): also the propagation delay
	KindHost      Kind = "host"      // the sending host's configuration: at once
	KindProvider  Kind = "provider"  // a request to a mailbox provider: approved after the ramp
	KindDraft     Kind = "draft"     // the test message's draft: at once
)

// FixState is where a fix stands.
type FixState string

// The states of a fix.
const (
	FixAvailable FixState = "available" // the problem is there; Apply would fix it
	FixPending   FixState = "pending"   // applied, taking effect at Fix.EffectiveAt
	FixApplied   FixState = "applied"   // in effect (or the problem never was)
)

// Fix is one change the user can make to the world.
type Fix struct {
	ID     string // "spf.publish": stable, what Apply takes
	Title  string // one line: "Publish an SPF record"
	Detail string // what it does and why, for the details pane
	Kind   Kind
	// Checks are the catalogue's check ids the fix addresses.
	Checks []string
	// Records are what applying publishes, as it would be published now
	// (the SPF record depends on whether IPv6 is still on).
	Records []scoring.DNSRecord
	State   FixState
	// EffectiveAt is when a pending fix takes effect.
	EffectiveAt time.Time
}

// Errors of Apply; callers branch with errors.Is.
var (
	ErrUnknownFix = errors.New("unknown fix")
	ErrApplied    = errors.New("already in effect")
	ErrPending    = errors.New("already applied, still taking effect")
	ErrClosed     = errors.New("the demo world is closed")
)

// fixDef is a fix as data: what it is, when it is done, and the change it
// makes, planned against the state at the moment it is applied.
type fixDef struct {
	id, title, detail string
	kind              Kind
	checks            []string
	done              func(s state) bool
	plan              func(w *World, s state) (plan, error)
}

// plan is the change a fix makes and how to announce it.
type plan struct {
	records []scoring.DNSRecord
	mutate  func(*state)
	applied string // event text when applied
	visible string // event text when a delayed change takes effect
}

// fixTable is every fix, as data, built afresh on each call.
func fixTable() []fixDef {
	ptrRecord := func(ip netip.Addr) scoring.DNSRecord {
		return scoring.DNSRecord{Name: strings.TrimSuffix(dnsx.ReverseName(ip), "."), Type: "PTR", Value: senderHost + "."}
	}
	txt := func(name, value string) []scoring.DNSRecord {
		return []scoring.DNSRecord{scoring.TXTRecord(name, value)}
	}
	return []fixDef{
		{
			id: "ipv6.disable", title: "Turn IPv6 sending off", kind: KindHost,
			detail: "Send over IPv4 only (exim: disable_ipv6 = true; postfix: inet_protocols = ipv4). " +
				"Gmail refuses IPv6 senders without a forward-confirmed PTR and SPF or DKIM.",
			checks: []string{"ipv6.ready", "smtp.response"},
			done:   func(s state) bool { return !s.ipv6 },
			plan: func(_ *World, _ state) (plan, error) {
				return plan{mutate: func(s *state) { s.ipv6 = false },
					applied: "IPv6 sending turned off: receivers now see mail from " + senderIPv4().String()}, nil
			},
		},
		{
			id: "spf.publish", title: "Publish an SPF record", kind: KindDNS,
			detail: "One v=spf1 record at example.com listing the sending addresses and ending in -all " +
				"(a second SPF record would be a permerror, RFC 7208 §4.5).",
			checks: []string{"spf.record", "spf.all", "spf.result", "dmarc.alignment", "smtp.response"},
			done:   func(s state) bool { return s.spf != "" },
			plan: func(_ *World, s state) (plan, error) {
				ips := []netip.Addr{senderIPv4()}
				if s.ipv6 {
					ips = append(ips, senderIPv6())
				}
				rec := spf.NewRecord(ips)
				return plan{records: txt(senderDomain, rec), mutate: func(s *state) { s.spf = rec },
					applied: "SPF record published at example.com: " + rec,
					visible: "SPF record at example.com is visible"}, nil
			},
		},
		{
			id: "rdns.ptr4", title: "Set the PTR of 192.0.2.25", kind: KindDNS,
			detail: "In the VPS provider's panel, point 192.0.2.25's reverse DNS at mail.example.com, whose A " +
				"record points back (forward-confirmed). GMX refuses at the greeting without it.",
			checks: []string{"rdns.ptr", "rdns.fcrdns", "rdns.helo", "smtp.response"},
			done:   func(s state) bool { return s.ptr4 },
			plan: func(_ *World, _ state) (plan, error) {
				return plan{records: []scoring.DNSRecord{ptrRecord(senderIPv4())}, mutate: func(s *state) { s.ptr4 = true },
					applied: "PTR for 192.0.2.25 set to mail.example.com",
					visible: "PTR for 192.0.2.25 is visible"}, nil
			},
		},
		{
			id: "outlook.delist", title: "File Outlook's delisting request", kind: KindProvider,
			detail: "Ask for mitigation with the Outlook.com sender support form (olcsupport.office.com) and join " +
				"SNDS and JMRP. In the demo the block lifts after the ramp; a real new IP takes weeks.",
			checks: []string{"smtp.response"},
			done:   func(s state) bool { return !s.outlookBlock },
			plan: func(_ *World, _ state) (plan, error) {
				return plan{mutate: func(s *state) { s.outlookBlock = false },
					applied: "Outlook delisting request filed for 192.0.2.25",
					visible: "Outlook delisting approved: 192.0.2.25 may send to outlook.example"}, nil
			},
		},
		{
			id: "dkim.publish", title: "Publish the DKIM key and sign", kind: KindDNS,
			detail: "Publish the public key at s1._domainkey.example.com and have the MTA sign with it " +
				"(exim: dkim_domain, dkim_selector, dkim_private_key, dkim_canon = relaxed on remote_smtp). " +
				"Signing starts when the record is visible, so no mail goes out with a key receivers cannot find.",
			checks: []string{"dkim.record", "dkim.key-match", "dkim.signature", "dmarc.alignment", "smtp.response"},
			done:   func(s state) bool { return s.dkim[s.selector] != "" && s.signing },
			plan: func(w *World, s state) (plan, error) {
				rec, err := keyRecord(w.keys, s.selector)
				if err != nil {
					return plan{}, err
				}
				sel := s.selector
				name := sel + "._domainkey." + senderDomain
				return plan{records: txt(name, rec),
					mutate:  func(s *state) { s.dkim[sel], s.signing = rec, true },
					applied: "DKIM key record published at " + name,
					visible: "DKIM key at " + name + " is visible; the MTA signs with selector " + sel}, nil
			},
		},
		{
			id: "draft.to", title: "Add a To: header to the draft", kind: KindDraft,
			detail: "The test message has no To: header: SpamAssassin's MISSING_HEADERS costs 1.2 " +
				"points at mail-tester, and Gmail's filter notices.",
			checks: []string{"headers.to"},
			done:   func(s state) bool { return !s.omitTo },
			plan: func(_ *World, _ state) (plan, error) {
				return plan{mutate: func(s *state) { s.omitTo = false }, applied: "The draft now has a To: header"}, nil
			},
		},
		{
			id: "dmarc.publish", title: "Publish DMARC (p=none, with reports)", kind: KindDNS,
			detail: "A _dmarc record in monitoring mode with aggregate reports to dmarc@example.com: receivers " +
				"see a policy, Gmail stops filing the mail as spam for want of one.",
			checks: []string{"dmarc.record", "dmarc.reporting", "dmarc.alignment"},
			done:   func(s state) bool { return s.dmarc != "" },
			plan: func(_ *World, _ state) (plan, error) {
				return plan{records: txt("_dmarc."+senderDomain, dmarcNone), mutate: func(s *state) { s.dmarc = dmarcNone },
					applied: "DMARC record published at _dmarc.example.com: " + dmarcNone,
					visible: "DMARC record at _dmarc.example.com is visible"}, nil
			},
		},
		{
			id: "dmarc.reject", title: "Enforce DMARC (p=reject)", kind: KindDNS,
			detail: "Once reports show only your own servers sending, ask receivers to refuse what fails DMARC.",
			checks: []string{"dmarc.record"},
			done:   func(s state) bool { return s.dmarc == dmarcReject },
			plan: func(_ *World, _ state) (plan, error) {
				return plan{records: txt("_dmarc."+senderDomain, dmarcReject), mutate: func(s *state) { s.dmarc = dmarcReject },
					applied: "DMARC record at _dmarc.example.com changed to " + dmarcReject,
					visible: "DMARC p=reject at _dmarc.example.com is visible"}, nil
			},
		},
		{
			id: "rdns.ptr6", title: "Set the PTR of 2001:db8::25", kind: KindDNS,
			detail: "The other way out of Gmail's IPv6 refusal: a forward-confirmed PTR for the IPv6 address " +
				"(SPF must cover it too: publish SPF while IPv6 is on, or add ip6: to it).",
			checks: []string{"rdns.ptr", "rdns.fcrdns", "ipv6.ready"},
			done:   func(s state) bool { return s.ptr6 },
			plan: func(_ *World, _ state) (plan, error) {
				return plan{records: []scoring.DNSRecord{ptrRecord(senderIPv6())}, mutate: func(s *state) { s.ptr6 = true },
					applied: "PTR for 2001:db8::25 set to mail.example.com",
					visible: "PTR for 2001:db8::25 is visible"}, nil
			},
		},
		{
			id: "spf.flatten", title: "Flatten the SPF record", kind: KindDNS,
			detail: "Replace the vendors' includes by the address ranges they resolve to (the engine's own " +
				"flattening, checked for every sending IP before it is offered), so check_host() stays within " +
				"10 lookups; re-flatten when a vendor changes its ranges.",
			checks: []string{"spf.lookups", "spf.result", "dmarc.alignment"},
			done:   func(s state) bool { return s.spf != "" && ownIncludesOnly(s.spf) },
			plan: func(w *World, s state) (plan, error) {
				f, err := w.flatten(s)
				if err != nil {
					return plan{}, err
				}
				top := f.Records[0].Value
				return plan{records: f.Records, mutate: func(s *state) {
					s.spf = top
					for _, r := range f.Records[1:] {
						s.extra[r.Name] = r.Value
					}
				},
					applied: "Flattened SPF record published at example.com: " + top,
					visible: "Flattened SPF record at example.com is visible"}, nil
			},
		},
		{
			id: "dkim.rotate", title: "Rotate to a 2048-bit key under selector s2", kind: KindDNS,
			detail: "Publish a new 2048-bit key at s2._domainkey.example.com, switch signing to s2 once it is " +
				"visible, and keep s1 published for a few days while mail signed with it is in flight.",
			checks: []string{"dkim.record", "dkim.key-match", "dkim.signature"},
			done:   func(s state) bool { return s.selector == "s2" && s.dkim["s2"] != "" },
			plan: func(w *World, _ state) (plan, error) {
				rec, err := keyRecord(w.keys, "s2")
				if err != nil {
					return plan{}, err
				}
				name := "s2._domainkey." + senderDomain
				return plan{records: txt(name, rec),
					mutate:  func(s *state) { s.dkim["s2"], s.selector, s.signing = rec, "s2", true },
					applied: "New 2048-bit DKIM key published at " + name,
					visible: "DKIM key at " + name + " is visible; the MTA signs with selector s2"}, nil
			},
		},
		{
			id: "blocklist.delist", title: "Request removal from Spamhaus ZEN", kind: KindBlocklist,
			detail: "Find and stop the cause, then use Spamhaus's self-service removal (check.spamhaus.org). The " +
				"listing disappears when the list's zone updates.",
			checks: []string{"blocklist.ip", "smtp.response"},
			done:   func(s state) bool { return !s.zenListed },
			plan: func(_ *World, _ state) (plan, error) {
				return plan{mutate: func(s *state) { s.zenListed = false },
					applied: "Removal of 192.0.2.25 from Spamhaus ZEN requested",
					visible: "192.0.2.25 is no longer listed on Spamhaus ZEN"}, nil
			},
		},
		{
			id: "resolver.local", title: "Use a local recursive resolver", kind: KindHost,
			detail: "Install unbound (no forwarders) and query blocklists through 127.0.0.1:53 instead of a " +
				"public resolver, which the lists refuse (Spamhaus 127.255.255.254).",
			checks: []string{"blocklist.ip", "blocklist.domain"},
			done:   func(s state) bool { return !s.refuseLists },
			plan: func(_ *World, _ state) (plan, error) {
				return plan{mutate: func(s *state) { s.refuseLists = false },
					applied: "Blocklists now queried through a local resolver: they answer normally"}, nil
			},
		},
	}
}

// flatten is spf.Flatten run against the world's own DNS server, exactly
// as `mailcred check` computes the spf.lookups fix: what the fix shows is
// what applying it publishes.
func (w *World) flatten(s state) (*spf.Flattening, error) {
	r, err := dnsx.New(dnsx.Config{Servers: []string{w.dns.Addr}, Timeout: time.Second, Attempts: 1})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(w.ctx, 5*time.Second)
	defer cancel()
	ips := []netip.Addr{senderIPv4()}
	if s.ipv6 {
		ips = append(ips, senderIPv6())
	}
	return spf.Flatten(ctx, r, senderDomain, ips)
}

// ownIncludesOnly reports whether every include of record targets a name
// in the sender's own domain (the flattened _spfN records).
func ownIncludesOnly(record string) bool {
	for _, t := range strings.Fields(record) {
		if name, ok := strings.CutPrefix(strings.TrimLeft(t, "+-~?"), "include:"); ok && !strings.HasSuffix(name, "."+senderDomain) {
			return false
		}
	}
	return true
}

// findFix looks a fix up by id in the whole table.
func findFix(id string) (fixDef, bool) {
	for _, f := range fixTable() {
		if f.id == id {
			return f, true
		}
	}
	return fixDef{}, false
}

// delay is how long a fix of kind k takes to take effect.
func (w *World) delay(k Kind) time.Duration {
	switch k {
	case KindDNS, KindBlocklist:
		return w.opts.Propagation
	case KindProvider:
		return w.opts.Ramp
	}
	return 0
}

// Fixes lists the scenario's fixes, then any other fix still pending, each
// with where it stands now.
func (w *World) Fixes() []Fix {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.settleLocked() // a failure to publish surfaces from Apply, Settle and as EventError
	ids := append([]string(nil), w.scen.Fixes...)
	for _, c := range w.pending {
		if !slices.Contains(ids, c.fixID) {
			ids = append(ids, c.fixID)
		}
	}
	out := make([]Fix, 0, len(ids))
	for _, id := range ids {
		def, ok := findFix(id)
		if !ok {
			continue
		}
		f := Fix{ID: def.id, Title: def.title, Detail: def.detail, Kind: def.kind,
			Checks: append([]string(nil), def.checks...), State: FixAvailable}
		if c := w.pendingFor(id); c != nil {
			f.State, f.EffectiveAt, f.Records = FixPending, c.due, c.records
		} else if def.done(w.st) {
			f.State = FixApplied
		} else if p, err := def.plan(w, w.st.clone()); err == nil {
			f.Records = p.records
		}
		out = append(out, f)
	}
	return out
}

// Apply applies the fix with this id: at once for the host and the draft,
// after the propagation delay for DNS, after the ramp for a provider's
// delisting. Any fix of the table can be applied, not only the scenario's.
func (w *World) Apply(id string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	if err := w.settleLocked(); err != nil {
		return err
	}
	def, ok := findFix(id)
	switch {
	case !ok:
		return fmt.Errorf("demo: %w %q", ErrUnknownFix, id)
	case w.pendingFor(id) != nil:
		return fmt.Errorf("demo: fix %s: %w", id, ErrPending)
	case def.done(w.st):
		return fmt.Errorf("demo: fix %s: %w", id, ErrApplied)
	}
	p, err := def.plan(w, w.st.clone())
	if err != nil {
		return fmt.Errorf("demo: fix %s: %w", id, err)
	}
	now := w.opts.Clock()
	d := w.delay(def.kind)
	c := change{fixID: id, due: now.Add(d), mutate: p.mutate, records: p.records, visible: p.visible, delayed: d > 0}
	text := p.applied
	if d > 0 {
		verb := "propagating"
		if def.kind == KindProvider {
			verb = "under review"
		}
		text += fmt.Sprintf(" (%s, effective at %s)", verb, c.due.Format("15:04:05"))
	}
	w.emitLocked(Event{At: now, Kind: EventFix, Fix: id, Text: text})
	w.pending = append(w.pending, c)
	err = w.settleLocked()
	w.wake()
	return err
}

// FileDelist files the simulated delisting request with a provider; only
// Outlook has one ("outlook").
func (w *World) FileDelist(provider string) error {
	if provider != "outlook" {
		return fmt.Errorf("demo: %w: %s has no delisting form in the demo (only outlook)", ErrUnknownFix, provider)
	}
	return w.Apply("outlook.delist")
}
