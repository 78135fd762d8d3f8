package onboard

import (
	"context"
	"crypto"
	"fmt"
	"net/netip"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dmarc"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/rdns"
	"github.com/mailcred/mailcred/scoring/spf"
	"github.com/mailcred/mailcred/session/keygen"
	"github.com/mailcred/mailcred/session/mta"
)

// StepID names a step.
type StepID string

// The steps, in the order a VPS owner follows them.
const (
	StepAddresses StepID = "addresses"
	StepPort25    StepID = "port25"
	StepPTR       StepID = "ptr"
	StepHELO      StepID = "helo"
	StepSPF       StepID = "spf"
	StepDKIM      StepID = "dkim"
	StepDMARC     StepID = "dmarc"
	StepMTASTS    StepID = "mta-sts"
	StepTestSend  StepID = "test-send"
)

// Status is where a step stands.
type Status int

// The statuses. Unknown means it could not be checked (a timeout, a
// SERVFAIL): never done, never to do.
const (
	Unknown Status = iota
	Done
	Todo
	Warn
	Optional
)

var statusNames = [...]string{"unknown", "done", "to do", "warn", "optional"}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// Step is one step's live state.
type Step struct {
	ID     StepID
	Title  string
	Status Status
	// State are the facts found, one per line.
	State []string
	// Do is what the person does, one instruction per line.
	Do []string
	// Source cites where a provider fact comes from.
	Source string
	// Action is the change onboarding can make for this step; nil when
	// the step has none (DNS is changed at the DNS provider).
	Action *Action
}

// Config is what onboarding checks and where it may write.
type Config struct {
	Domain   string // the sending domain
	From     string // the From address of the test send
	Selector string // DKIM selector; default "mail"
	Resolver *dnsx.Resolver

	WhoAmI []WhoAmI
	Port25 []string
	// Timeout bounds each probe; default 3s.
	Timeout time.Duration
	// Interfaces lists the host's addresses; nil means InterfaceAddrs.
	Interfaces func() ([]netip.Addr, error)

	// MTA is the MTA to configure and test; a zero Command means none.
	MTA mta.Options
	// EximConfig is the exim file onboarding edits: a whole configuration
	// (the -C candidate) or Debian's exim4.conf.localmacros.
	EximConfig string
	// KeyPath is where the DKIM key is (or will be written).
	KeyPath string
	// KeyOwner is the user the key file is given to (Debian-exim for
	// exim4, opendkim for OpenDKIM); "" leaves it to the caller.
	KeyOwner string
	// Capture is the loopback address of the closed loop's capture.
	Capture netip.AddrPort

	Providers *Providers
	Now       func() time.Time
	// LastTest is the outcome of the last test send, kept by the caller
	// between checks; nil before the first.
	LastTest *TestResult
	// Previous is the last report, kept by the caller: an outgoing port 25
	// found open is not probed again for Port25Reuse, so watching does
	// not knock on other people's MX hosts every few seconds.
	Previous *Report
}

// Port25Reuse is how long an open port-25 result is reused.
const Port25Reuse = 10 * time.Minute

func (c *Config) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 3 * time.Second
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Config) selector() string {
	if c.Selector != "" {
		return c.Selector
	}
	return "mail"
}

// Report is every step, in order, with what the steps share.
type Report struct {
	Steps     []Step
	Addresses Addresses
	HELO      string
	Checked   time.Time
}

// Step returns the step with id.
func (r Report) Step(id StepID) (Step, bool) {
	for _, s := range r.Steps {
		if s.ID == id {
			return s, true
		}
	}
	return Step{}, false
}

// Check computes every step's state. It reads and asks; it never writes.
func Check(ctx context.Context, cfg Config) Report {
	rep := Report{Checked: cfg.now()}
	if cfg.Resolver != nil {
		// A re-check must see a record published a minute ago, not the
		// negative answer cached before it.
		cfg.Resolver.Flush()
	}
	rep.Addresses = addresses(ctx, cfg)
	var v4, v6 Egress
	var helo string
	var wg sync.WaitGroup
	wg.Add(2)
	reused, reuse := cfg.reusablePort25()
	go func() {
		defer wg.Done()
		if !reuse {
			v4, v6 = probePort25(ctx, cfg.Resolver, cfg.Port25, cfg.timeout())
		}
	}()
	go func() { defer wg.Done(); helo = mtaHELO(ctx, cfg) }()
	wg.Wait()
	rep.HELO = helo
	ips := publicIPs(rep.Addresses)
	ev := scoring.Evidence{Domain: cfg.Domain, IPs: ips, HELO: helo, Selector: cfg.selector()}
	if key := loadKey(cfg.KeyPath); key != nil {
		ev.DKIMKey = key
	}
	results := map[string]scoring.Result{}
	var checks []scoring.Check
	checks = append(checks, spf.Checks()...)
	checks = append(checks, dkim.Checks()...)
	checks = append(checks, dmarc.Checks()...)
	checks = append(checks, rdns.Checks()...)
	if cfg.Resolver != nil {
		for _, r := range scoring.RunAll(ctx, &scoring.Env{Evidence: ev, DNS: cfg.Resolver}, checks) {
			results[r.ID] = r
		}
	}
	ptrs := map[netip.Addr]*rdns.PTRInfo{}
	for _, ip := range ips {
		if cfg.Resolver != nil {
			ptrs[ip] = rdns.Lookup(ctx, cfg.Resolver, ip)
		}
	}
	rep.Steps = []Step{
		addressStep(ctx, cfg, rep.Addresses),
		port25Or(reused, reuse, func() Step { return port25Step(cfg, v4, v6, ptrs) }),
		ptrStep(cfg, ips, ptrs),
		heloStep(cfg, helo, ptrs),
		resultStep(StepSPF, "SPF authorises the sending addresses", results, "spf.record", "spf.result"),
		dkimStep(cfg, results),
		dmarcStep(ctx, cfg, results),
		mtaSTSStep(ctx, cfg),
		testSendStep(cfg),
	}
	return rep
}

func addresses(ctx context.Context, cfg Config) Addresses {
	var a Addresses
	list := cfg.Interfaces
	if list == nil {
		list = InterfaceAddrs
	}
	if ifs, err := list(); err == nil {
		a.Interfaces = ifs
	} else {
		a.Problems = append(a.Problems, "interfaces: "+err.Error())
	}
	found, problems := discover(ctx, cfg.WhoAmI, cfg.timeout())
	a.Public, a.Problems = found, append(a.Problems, problems...)
	return a
}

// publicIPs are the addresses the checks judge: the public ones seen
// from outside, else the interfaces'.
func publicIPs(a Addresses) []netip.Addr {
	var out []netip.Addr
	for _, ip := range []netip.Addr{a.V4(), a.V6()} {
		if ip.IsValid() {
			out = append(out, ip)
		}
	}
	return out
}

func addressStep(ctx context.Context, cfg Config, a Addresses) Step {
	s := Step{ID: StepAddresses, Title: "Public addresses"}
	for _, ip := range a.Interfaces {
		s.State = append(s.State, "interface "+ip.String())
	}
	for _, ip := range a.Public {
		s.State = append(s.State, "seen from outside "+ip.String()+" (DNS what-is-my-address)")
	}
	for _, p := range a.Problems {
		s.State = append(s.State, "not found: "+p)
	}
	v4, v6 := a.V4(), a.V6()
	if v4.IsValid() && v4.IsPrivate() && !slices.Contains(a.Public, v4) {
		// Behind NAT receivers see another address, and none of the
		// what-is-my-address services said which: not a public address.
		s.Status = Unknown
		s.State = append(s.State, "only a private IPv4 address is known ("+v4.String()+"): behind NAT receivers see another one, which no what-is-my-address service answered with")
		s.Do = append(s.Do, "Give the public address with --ip (your provider's panel shows it), or point --whoami at a service this host can reach.")
		return s
	}
	switch {
	case !v4.IsValid() && !v6.IsValid():
		s.Status = Unknown
		s.Do = append(s.Do, "No public address found: check the network, or give the addresses with --ip.")
		return s
	case v4.IsValid() && v6.IsValid():
		s.Status = Done
		s.State = append(s.State, mtaFamily(ctx, cfg))
	case v4.IsValid():
		s.Status = Done
		s.State = append(s.State, "the MTA will send from "+v4.String()+" (IPv4; no public IPv6 found)")
	default:
		s.Status = Done
		s.State = append(s.State, "the MTA will send from "+v6.String()+" (IPv6 only: many receivers are stricter with IPv6 senders)")
	}
	for _, ip := range a.Interfaces {
		if ip.Is4() && ip.IsPrivate() && len(a.Public) > 0 {
			s.State = append(s.State, "behind NAT: receivers see "+v4.String()+", not "+ip.String())
			break
		}
	}
	return s
}

// mtaFamily says which family the MTA will use when a destination has both.
func mtaFamily(ctx context.Context, cfg Config) string {
	switch cfg.MTA.Command.Kind {
	case mta.Exim:
		if v, err := mta.Setting(ctx, cfg.MTA, "disable_ipv6"); err == nil && v == "true" {
			return "exim will use IPv4 only (disable_ipv6 = true)"
		}
		if v, err := mta.Setting(ctx, cfg.MTA, "dns_ipv4_lookup"); err == nil && strings.TrimSpace(v) != "" {
			return "exim will use IPv4 for " + v + " (dns_ipv4_lookup), IPv6 first elsewhere"
		}
		return "exim will try IPv6 first where the recipient's MX has an AAAA record: the IPv6 address needs its PTR too"
	case mta.Postfix:
		proto, _ := mta.Setting(ctx, cfg.MTA, "inet_protocols")
		pref, _ := mta.Setting(ctx, cfg.MTA, "smtp_address_preference")
		return fmt.Sprintf("postfix: inet_protocols = %s, smtp_address_preference = %s", proto, pref)
	}
	return "no MTA detected: an MTA usually tries IPv6 first when both exist"
}

func port25Step(cfg Config, v4, v6 Egress, ptrs map[netip.Addr]*rdns.PTRInfo) Step {
	s := Step{ID: StepPort25, Title: "Outgoing port 25"}
	for _, e := range []Egress{v4, v6} {
		for _, p := range e.Probes {
			line := fmt.Sprintf("IPv%d %s: %s", p.Family, p.Target, p.Outcome)
			switch {
			case p.Greeting != "":
				line += " — " + p.Greeting
			case p.Outcome == "refused":
				line += " (a reset came back: from the target, or a firewall on the way)"
			case p.Outcome == "no route":
				line += fmt.Sprintf(" (this host has no IPv%d route to it)", p.Family)
			case p.Outcome == "timed out":
				line += " (nothing came back: how a provider's port-25 block usually looks)"
			case p.Err != "" && p.Outcome != "no address":
				line += " (" + p.Err + ")" // not one of the above: the socket's own words
			}
			s.State = append(s.State, line)
		}
	}
	switch {
	case len(cfg.Port25) == 0:
		s.Status = Unknown
		s.Do = append(s.Do, "No probe targets configured (--port25-target).")
	case v4.Open:
		s.Status = Done
		if v6.Blocked {
			s.Status = Warn
			s.Do = append(s.Do, "IPv6 port 25 is blocked while IPv4 works: make the MTA use IPv4 (exim disable_ipv6 = true, postfix inet_protocols = ipv4).")
		}
	case v4.Blocked:
		s.Status = Todo
		s.Do = append(s.Do, "Every probe timed out: your provider blocks outgoing port 25.")
	default:
		s.Status = Unknown
		s.Do = append(s.Do, "No probe got through, but not all timed out: see each line.")
	}
	if s.Status == Todo || s.Status == Warn {
		if p, ok := providerOf(cfg, ptrs); ok {
			s.Do = append(s.Do, p.Name+": "+p.Port25+". "+p.OpenPort25)
			s.Source = p.Source
		} else if cfg.Providers != nil {
			var names []string
			for _, p := range cfg.Providers.All() {
				if !strings.HasPrefix(p.Port25, "open") {
					names = append(names, p.Name)
				}
			}
			s.Do = append(s.Do, "Known to block it on new accounts: "+strings.Join(names, ", ")+". Ask your provider to open it, or relay through port 587.")
		}
	}
	return s
}

// providerOf recognises the hosting provider by the default PTR names.
func providerOf(cfg Config, ptrs map[netip.Addr]*rdns.PTRInfo) (Provider, bool) {
	if cfg.Providers == nil {
		return Provider{}, false
	}
	for _, info := range ptrs {
		if info == nil {
			continue
		}
		for _, n := range info.Names {
			if p, ok := cfg.Providers.ByPTR(n); ok {
				return p, true
			}
		}
	}
	return Provider{}, false
}

func ptrStep(cfg Config, ips []netip.Addr, ptrs map[netip.Addr]*rdns.PTRInfo) Step {
	s := Step{ID: StepPTR, Title: "Reverse DNS (PTR) of each address", Status: Done}
	if len(ips) == 0 || cfg.Resolver == nil {
		s.Status = Unknown
		return s
	}
	for _, ip := range ips {
		info := ptrs[ip]
		switch {
		case info == nil || info.Outcome.Temporary():
			s.State = append(s.State, ip.String()+": could not look up the PTR")
			if s.Status == Done {
				s.Status = Unknown
			}
		case len(info.Names) == 0:
			s.State = append(s.State, ip.String()+": no PTR")
			s.Status = Todo
			s.Do = append(s.Do, fmt.Sprintf("Set the PTR of %s to your mail host name (with an A/AAAA back to %s).", ip, ip))
		default:
			confirmed := false
			for _, f := range info.Forward {
				confirmed = confirmed || f.Confirmed
			}
			line := ip.String() + " → " + strings.Join(info.Names, ", ")
			if !confirmed {
				line += " (does not resolve back)"
				s.Status = Todo
				s.Do = append(s.Do, fmt.Sprintf("Add an A/AAAA record for %s pointing at %s (forward-confirmed reverse DNS).", info.Names[0], ip))
			} else if why := rdns.LooksGeneric(info.Names[0], ip); why != "" {
				line += " (generic: " + why + ")"
				if s.Status == Done {
					s.Status = Warn
				}
				s.Do = append(s.Do, fmt.Sprintf("Replace the provider's generic PTR of %s with your mail host name.", ip))
			}
			s.State = append(s.State, line)
		}
	}
	if s.Status != Done {
		if p, ok := providerOf(cfg, ptrs); ok {
			s.Do = append(s.Do, p.Name+": "+p.PTR)
			s.Source = p.Source
		} else {
			s.Do = append(s.Do, "The PTR is set at the hosting provider (not in your domain's DNS), in its control panel.")
		}
	}
	return s
}

// mtaHELO is the name the MTA gives in EHLO.
func mtaHELO(ctx context.Context, cfg Config) string {
	switch cfg.MTA.Command.Kind {
	case mta.Exim:
		v, _ := mta.Setting(ctx, cfg.MTA, "primary_hostname")
		return v
	case mta.Postfix:
		if v, _ := mta.Setting(ctx, cfg.MTA, "smtp_helo_name"); v != "" && v != "$myhostname" {
			return v
		}
		v, _ := mta.Setting(ctx, cfg.MTA, "myhostname")
		return v
	}
	return ""
}

func heloStep(cfg Config, helo string, ptrs map[netip.Addr]*rdns.PTRInfo) Step {
	s := Step{ID: StepHELO, Title: "HELO name matches the PTR"}
	setting := "exim: primary_hostname (or helo_data on the remote_smtp transport)"
	if cfg.MTA.Command.Kind == mta.Postfix {
		setting = "postfix: myhostname (or smtp_helo_name) in main.cf"
	}
	if helo == "" {
		s.Status = Unknown
		s.State = append(s.State, "the MTA's HELO name is not known (no MTA detected)")
		return s
	}
	s.State = append(s.State, "the MTA says EHLO "+helo)
	name := scoring.NormalDomain(helo)
	if p := rdns.HELOProblem(name, cfg.Domain); p != "" {
		s.Status = Todo
		s.State = append(s.State, helo+" is "+p)
		s.Do = append(s.Do, "Give the MTA the fully-qualified name its PTR points to: set "+setting+".")
		return s
	}
	// Done only when every address's PTR is known and names the HELO:
	// a PTR that could not be looked up is unknown, a missing one is to do.
	s.Status = Done
	if len(ptrs) == 0 {
		s.Status = Unknown
		s.State = append(s.State, "no sending address is known to compare its PTR with")
	}
	unknown := false
	for ip, info := range ptrs {
		switch {
		case info == nil || info.Outcome.Temporary():
			unknown = true
			s.State = append(s.State, fmt.Sprintf("%s's PTR could not be looked up", ip))
		case len(info.Names) == 0:
			s.Status = Todo
			s.State = append(s.State, fmt.Sprintf("%s has no PTR yet: nothing for %s to match (step 3)", ip, helo))
		case !slices.ContainsFunc(info.Names, func(n string) bool { return strings.EqualFold(n, name) }):
			s.Status = Todo
			s.State = append(s.State, fmt.Sprintf("%s's PTR is %s, not %s", ip, info.Names[0], helo))
		}
	}
	if unknown && s.Status == Done {
		s.Status = Unknown
	}
	if s.Status == Todo {
		s.Do = append(s.Do, "Make the HELO name and the PTR the same host name: set "+setting+", or change the PTR.")
	}
	return s
}

// resultStep turns checks of the catalogue into a step.
func resultStep(id StepID, title string, results map[string]scoring.Result, ids ...string) Step {
	s := Step{ID: id, Title: title, Status: Done}
	for _, cid := range ids {
		r, ok := results[cid]
		if !ok {
			s.Status = Unknown
			continue
		}
		detail := strings.TrimSpace(r.Detail)
		if detail == "" {
			detail = r.Title // "dkim.key-match: skip " said nothing
		}
		for i, l := range strings.Split(detail, "\n") {
			if i == 0 {
				l = fmt.Sprintf("%s: %s %s", cid, r.Status, l)
			} else {
				l = "  " + l
			}
			s.State = append(s.State, l)
		}
		switch r.Status {
		case scoring.Fail:
			s.Status = Todo
		case scoring.Warn:
			if s.Status == Done {
				s.Status = Warn
			}
		case scoring.Error, scoring.Pending:
			if s.Status == Done {
				s.Status = Unknown
			}
		}
		if r.Fix != nil && r.Status != scoring.Pass && !slices.Contains(s.Do, r.Fix.Summary) {
			s.Do = append(s.Do, r.Fix.Summary)
			for _, rec := range r.Fix.Records {
				s.Do = append(s.Do, "publish: "+rec.Name+" "+rec.Type+" "+strconv.Quote(rec.Value))
			}
		}
	}
	return s
}

func loadKey(path string) crypto.Signer {
	if path == "" {
		return nil
	}
	k, err := dkim.LoadPrivateKey(path)
	if err != nil {
		return nil
	}
	return k
}

func dkimStep(cfg Config, results map[string]scoring.Result) Step {
	s := resultStep(StepDKIM, "DKIM: a key, its record, and the MTA signing", results, "dkim.record", "dkim.key-match")
	s.Title = "DKIM: a key, its record, and the MTA signing"
	if cfg.KeyPath == "" {
		return s
	}
	_, err := os.Stat(cfg.KeyPath)
	haveKey := err == nil
	if haveKey {
		s.State = append([]string{"key " + cfg.KeyPath}, s.State...)
	} else {
		s.State = append([]string{"no key at " + cfg.KeyPath}, s.State...)
		s.Status = Todo
	}
	signs := false
	if cfg.EximConfig != "" {
		b, _ := os.ReadFile(cfg.EximConfig)
		signs = strings.Contains(string(b), "dkim_domain") || strings.Contains(string(b), "DKIM_DOMAIN")
		if signs {
			s.State = append(s.State, cfg.EximConfig+" makes exim sign")
		} else {
			s.State = append(s.State, cfg.EximConfig+" does not make exim sign")
			s.Status = Todo
		}
	}
	if !haveKey || (!signs && cfg.EximConfig != "") {
		s.Action = dkimAction(cfg, haveKey, signs)
	}
	return s
}

// dkimAction generates the key (when missing) and makes exim sign with it.
func dkimAction(cfg Config, haveKey, signs bool) *Action {
	a := &Action{Title: "Generate the DKIM key and make exim sign with it"}
	var preview []string
	owner := cfg.KeyOwner
	if !haveKey {
		who := "the current user"
		if owner != "" {
			who = owner
		}
		if _, err := os.Stat(filepath.Dir(cfg.KeyPath)); os.IsNotExist(err) {
			preview = append(preview, fmt.Sprintf("create the directory %s, mode 0750, group of %s", filepath.Dir(cfg.KeyPath), who))
		}
		preview = append(preview, fmt.Sprintf("create %s: a new 2048-bit RSA key, mode 0600, owner %s (the MTA reads it)", cfg.KeyPath, who))
	}
	var oldText, newText string
	if !signs && cfg.EximConfig != "" {
		b, err := os.ReadFile(cfg.EximConfig)
		if err == nil || os.IsNotExist(err) {
			oldText = string(b)
			nt, eerr := eximDKIMEdit(cfg.EximConfig, oldText, cfg.Domain, cfg.selector(), cfg.KeyPath)
			if eerr != nil {
				preview = append(preview, "cannot edit: "+eerr.Error())
			} else {
				newText = nt
				preview = append(preview, insertionDiff(cfg.EximConfig, []byte(oldText), []byte(newText)))
				a.After = eximReload(cfg.EximConfig)
			}
		}
	}
	preview = append(preview, "A backup of every edited file is kept next to it; the summary says how to undo each change.")
	a.Preview = strings.Join(preview, "\n")
	a.apply = func() (Applied, error) {
		var out Applied
		if !haveKey {
			dir := filepath.Dir(cfg.KeyPath)
			_, statErr := os.Stat(dir)
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return out, err
			}
			if os.IsNotExist(statErr) {
				c := Change{Path: dir, What: "created, mode 0750", Undo: "rmdir " + dir}
				if owner != "" { // the MTA's user must reach its key
					if err := chgrpTo(dir, owner); err != nil {
						return out, err
					}
					c.What += ", group of " + owner
				}
				out.Changes = append(out.Changes, c)
			}
			key, err := keygen.Generate(keygen.Options{})
			if err != nil {
				return out, err
			}
			if err := keygen.WriteKey(cfg.KeyPath, key); err != nil {
				return out, err
			}
			c := Change{Path: cfg.KeyPath, What: "created, mode 0600", Undo: "rm " + cfg.KeyPath}
			if owner != "" {
				if err := chownTo(cfg.KeyPath, owner); err != nil {
					return out, err
				}
				c.What += ", owner " + owner
			}
			out.Changes = append(out.Changes, c)
			rec, err := dkim.RecordForKey(key.Public())
			if err == nil {
				out.Lines = append(out.Lines, "publish: "+dkim.RecordName(cfg.selector(), cfg.Domain)+" TXT "+strconv.Quote(rec))
			}
		}
		if newText != "" {
			c, err := writeFile(cfg.EximConfig, []byte(newText), 0o644, cfg.now())
			if err != nil {
				return out, err
			}
			out.Changes = append(out.Changes, c)
		}
		return out, nil
	}
	return a
}

// chownTo gives path to the user name (its primary group too).
func chownTo(path, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("key owner %s: %w", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(path, uid, gid)
}

// chgrpTo gives path to the primary group of the user name.
func chgrpTo(path, name string) error {
	u, err := user.Lookup(name)
	if err != nil {
		return fmt.Errorf("key owner %s: %w", name, err)
	}
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(path, -1, gid)
}

// appliedPolicy is the DMARC policy that applies to cfg.Domain, read from
// the parsed record (the check's run asked the same names, so the answers
// are cached): p= on the domain's own record, sp= (else p=) on its
// organizational domain's. "" when there is none or DNS failed. Reading
// the check's text for "p=reject" took sp=reject for the policy.
func appliedPolicy(ctx context.Context, cfg Config) dmarc.Policy {
	if cfg.Resolver == nil {
		return ""
	}
	d := dmarc.Discover(ctx, cfg.Resolver, cfg.Domain)
	if d.Status != dmarc.StatusFound || d.Record == nil {
		return ""
	}
	if d.RecordDomain != d.AuthorDomain && d.Record.SP != "" {
		return d.Record.SP
	}
	return d.Record.P
}

// dmarcStages are the policies in the order a domain moves through them.
var dmarcStages = []string{"none", "quarantine", "reject"}

func dmarcStep(ctx context.Context, cfg Config, results map[string]scoring.Result) Step {
	s := resultStep(StepDMARC, "DMARC, staged none → quarantine → reject", results, "dmarc.record", "dmarc.reporting")
	policy := string(appliedPolicy(ctx, cfg))
	rua := "mailto:dmarc-reports@" + cfg.Domain
	next := "none"
	for i, st := range dmarcStages {
		if st == policy && i+1 < len(dmarcStages) {
			next = dmarcStages[i+1]
		}
	}
	if policy == "reject" {
		s.State = append(s.State, "at the last stage: p=reject")
		return s
	}
	if policy != "" {
		s.State = append(s.State, "stage: p="+policy)
		if s.Status == Done {
			s.Status = Warn
		}
	}
	s.Do = append(s.Do, fmt.Sprintf("Next stage, once the reports show only your own mail passing: publish _dmarc.%s TXT \"v=DMARC1; p=%s; rua=%s\"", cfg.Domain, next, rua))
	return s
}

func mtaSTSStep(ctx context.Context, cfg Config) Step {
	s := Step{ID: StepMTASTS, Title: "MTA-STS and TLS-RPT (optional)", Status: Optional}
	if cfg.Resolver == nil {
		return s
	}
	for _, q := range []struct{ name, prefix, label string }{
		{"_mta-sts." + cfg.Domain, "v=STSv1", "MTA-STS (RFC 8461)"},
		{"_smtp._tls." + cfg.Domain, "v=TLSRPTv1", "TLS-RPT (RFC 8460)"},
	} {
		ans := cfg.Resolver.Lookup(ctx, q.name, dns.TypeTXT)
		if ans == nil || ans.Outcome.Temporary() {
			s.State = append(s.State, q.label+": could not check ("+q.name+" did not resolve)")
			continue
		}
		found := false
		if ans != nil {
			for _, rr := range ans.Records {
				if t, ok := rr.(*dns.TXT); ok && strings.HasPrefix(strings.Join(t.Txt, ""), q.prefix) {
					found = true
				}
			}
		}
		if found {
			s.State = append(s.State, q.label+": published at "+q.name)
		} else {
			s.State = append(s.State, q.label+": not published")
		}
	}
	s.Do = append(s.Do, "Optional: publish _smtp._tls."+cfg.Domain+" TXT \"v=TLSRPTv1; rua=mailto:tls-reports@"+cfg.Domain+"\" to get TLS failure reports.")
	return s
}

// reusablePort25 is the previous report's port-25 step when it found the
// port open less than Port25Reuse ago.
func (c *Config) reusablePort25() (Step, bool) {
	p := c.Previous
	if p == nil || c.now().Sub(p.Checked) >= Port25Reuse {
		return Step{}, false
	}
	s, ok := p.Step(StepPort25)
	if !ok || s.Status != Done {
		return Step{}, false
	}
	s.State = append(append([]string(nil), s.State...), "(open at "+p.Checked.Format("15:04:05")+"; probed again after "+Port25Reuse.String()+")")
	return s, true
}

func port25Or(reused Step, reuse bool, fresh func() Step) Step {
	if reuse {
		return reused
	}
	return fresh()
}
