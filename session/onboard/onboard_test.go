package onboard

import (
	"context"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dmarc"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/rdns"
	"github.com/mailcred/mailcred/session/mta"
	"github.com/mailcred/mailcred/session/smtptest"
)

// whoAmIServer answers myip.test. A with the address the query came from,
// as OpenDNS does, on loopback.
func whoAmIServer(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		if ua, ok := w.RemoteAddr().(*net.UDPAddr); ok && q.Question[0].Qtype == dns.TypeA {
			m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 0}, A: ua.IP.To4()})
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

// greeter is an SMTP-like listener that says 220 and closes.
func greeter(t *testing.T) string {
	t.Helper()
	ln, err := smtptest.Greet("tcp4", "127.0.0.1:0", "220 mx.test ESMTP")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

const zone = `
test.                        IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300
sender.test.                 IN TXT "v=spf1 ip4:127.0.0.1 -all"
_dmarc.sender.test.          IN TXT "v=DMARC1; p=none; rua=mailto:d@sender.test"
mail.sender.test.            IN A 127.0.0.1
1.0.0.127.in-addr.arpa.      IN PTR mail.sender.test.
mx.probe.test.               IN A 127.0.0.1
`

func world(t *testing.T) (*dnstest.Server, *dnsx.Resolver) {
	t.Helper()
	srv, err := dnstest.Start(zone)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	r, err := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Timeout: time.Second, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return srv, r
}

func baseConfig(t *testing.T, r *dnsx.Resolver) Config {
	providers, err := LoadProviders()
	if err != nil {
		t.Fatal(err)
	}
	_, gport, _ := net.SplitHostPort(greeter(t))
	return Config{
		Domain: "sender.test", From: "alice@sender.test", Selector: "s1", Resolver: r,
		WhoAmI:     []WhoAmI{{Server: whoAmIServer(t), Name: "myip.test.", Type: dns.TypeA}},
		Port25:     []string{"mx.probe.test:" + gport, closedPort(t)},
		Timeout:    2 * time.Second,
		Interfaces: func() ([]netip.Addr, error) { return []netip.Addr{netip.MustParseAddr("10.0.0.5")}, nil },
		Providers:  providers,
	}
}

// Every step is computed from the loopback world: the address the
// what-is-my-address server saw, an open and a refused port-25 probe, the
// PTR that matches, SPF passing, DMARC at its first stage.
func TestCheckReadsTheWorld(t *testing.T) {
	_, r := world(t)
	rep := Check(context.Background(), baseConfig(t, r))
	if got := rep.Addresses.V4(); got.String() != "127.0.0.1" {
		t.Errorf("public v4 %v, want the what-is-my-address answer 127.0.0.1", got)
	}
	want := map[StepID]Status{StepAddresses: Done, StepPort25: Done, StepPTR: Done, StepSPF: Done, StepDMARC: Warn, StepMTASTS: Optional}
	for id, st := range want {
		s, ok := rep.Step(id)
		if !ok || s.Status != st {
			t.Errorf("%s: %v %q %q, want %v", id, s.Status, s.State, s.Do, st)
		}
	}
	p25, _ := rep.Step(StepPort25)
	joined := strings.Join(p25.State, "\n")
	if !strings.Contains(joined, "open — 220 mx.test ESMTP") || !strings.Contains(joined, "refused") {
		t.Errorf("port 25 probes:\n%s", joined)
	}
	dm, _ := rep.Step(StepDMARC)
	if !strings.Contains(strings.Join(dm.Do, " "), "p=quarantine") {
		t.Errorf("DMARC's next stage: %q", dm.Do)
	}
	if len(rep.Steps) != 9 || rep.Steps[0].ID != StepAddresses || rep.Steps[8].ID != StepTestSend {
		t.Errorf("steps out of order: %v", rep.Steps)
	}
}

// A probe with nowhere to go is "no address", not blocked; an unknown
// provider gets the list of those known to block.
func TestPort25BlockedNamesProviders(t *testing.T) {
	providers, _ := LoadProviders()
	v4 := Egress{Family: 4, Blocked: true, Probes: []ProbeResult{{Target: "a:25", Family: 4, Outcome: "timed out"}}}
	s := port25Step(Config{Port25: []string{"a:25"}, Providers: providers}, v4, Egress{Family: 6}, nil)
	if s.Status != Todo || !strings.Contains(strings.Join(s.Do, " "), "Hetzner Cloud") {
		t.Errorf("blocked: %v %q", s.Status, s.Do)
	}
	p, ok := providers.ByPTR("static.1.2.0.192.clients.your-server.de")
	if !ok || p.ID != "hetzner" || !strings.HasPrefix(p.Source, "https://") {
		t.Errorf("ByPTR: %+v %v", p, ok)
	}
	if _, err := parseProviders([]byte("providers:\n  - id: x\n    name: X\n")); err == nil {
		t.Error("an entry without its facts and source was accepted")
	}
}

// The DKIM action previews a diff and a key, writes nothing until
// applied, then writes the key 0600 and the edited configuration with a
// backup that restores the original.
func TestDKIMActionPreviewsThenWritesWithBackup(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "exim.conf")
	orig := "primary_hostname = mail.sender.test\nbegin routers\nbegin transports\nremote_smtp:\n  driver = smtp\n  hosts_avoid_tls = *\n"
	if err := os.WriteFile(conf, []byte(orig), 0o640); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Domain: "sender.test", Selector: "s1", EximConfig: conf, KeyPath: filepath.Join(dir, "dkim", "s1.pem"),
		Now: func() time.Time { return time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC) }}
	s := dkimStep(cfg, map[string]scoring.Result{})
	if s.Status != Todo || s.Action == nil {
		t.Fatalf("dkim step %v without an action", s.Status)
	}
	for _, want := range []string{"+  dkim_domain = sender.test", "+  dkim_canon = relaxed", "   driver = smtp", "mode 0600"} {
		if !strings.Contains(s.Action.Preview, want) {
			t.Errorf("preview lacks %q:\n%s", want, s.Action.Preview)
		}
	}
	if _, err := os.Stat(cfg.KeyPath); err == nil {
		t.Fatal("the key exists before Apply")
	}
	if b, _ := os.ReadFile(conf); string(b) != orig {
		t.Fatal("the configuration changed before Apply")
	}
	applied, err := s.Action.Apply()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(cfg.KeyPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key: %v %v, want mode 0600", fi, err)
	}
	b, _ := os.ReadFile(conf)
	if !strings.Contains(string(b), "  driver = smtp\n  dkim_domain = sender.test\n  dkim_selector = s1\n") {
		t.Errorf("edited configuration:\n%s", b)
	}
	if st, _ := os.Stat(conf); st.Mode().Perm() != 0o640 {
		t.Errorf("mode changed to %v", st.Mode())
	}
	var backup string
	for _, c := range applied.Changes {
		if c.Path == conf {
			backup = c.Backup
			if !strings.HasPrefix(c.Undo, "cp -p ") {
				t.Errorf("undo %q", c.Undo)
			}
		}
	}
	if old, err := os.ReadFile(backup); err != nil || string(old) != orig {
		t.Errorf("backup %s: %v, want the original", backup, err)
	}
	if len(applied.Lines) == 0 || !strings.Contains(applied.Lines[0], "s1._domainkey.sender.test TXT") {
		t.Errorf("the record to publish is not shown: %q", applied.Lines)
	}
	if again := dkimStep(cfg, map[string]scoring.Result{}); again.Action != nil {
		t.Error("a second run offers the same change again")
	}
}

// From nothing to a DKIM-signed, aligned test message through a real exim:
// onboarding's DKIM action writes the key and the transport options into
// the candidate configuration, the record is published, and the test send
// through the capture passes.
func TestOnboardingWithRealExim(t *testing.T) {
	bin, err := exec.LookPath("exim4")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/exim4"); serr != nil {
			t.Skip("exim4 not found; install with: apt-get install -y --no-install-recommends exim4-daemon-light (or run .ci/install-peers)")
		}
		bin = "/usr/sbin/exim4"
	}
	srv, r := world(t)
	cfg := baseConfig(t, r)
	dir := t.TempDir()
	uid, gid := os.Getuid(), os.Getgid()
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			t.Skip("no user nobody to run exim as")
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		cfg.MTA.RunAs = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		cfg.KeyOwner = "nobody"
		os.Chmod(dir, 0o755)
		os.Chmod(filepath.Dir(dir), 0o711)
	}
	for _, d := range []string{"spool", "log"} {
		os.Mkdir(filepath.Join(dir, d), 0o700)
		os.Chown(filepath.Join(dir, d), uid, gid)
	}
	conf := filepath.Join(dir, "candidate.conf")
	text := "primary_hostname = mail.sender.test\nexim_user = " + strconv.Itoa(uid) + "\nexim_group = " + strconv.Itoa(gid) +
		"\nnever_users = root\nkeep_environment =\nspool_directory = " + dir + "/spool\nlog_file_path = " + dir + "/log/%slog\n" +
		"host_lookup =\nrfc1413_hosts =\n\nbegin routers\n\nbegin transports\nremote_smtp:\n  driver = smtp\n  allow_localhost\n  hosts_avoid_tls = *\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chown(conf, uid, gid)
	cfg.MTA.Command = mta.Command{Kind: mta.Exim, Argv: []string{bin, "-C", conf}}
	cfg.EximConfig = conf
	cfg.KeyPath = filepath.Join(dir, "dkim", "sender.test-s1.pem")
	cfg.Capture = netip.MustParseAddrPort(closedPort(t))

	rep := Check(context.Background(), cfg)
	if h, _ := rep.Step(StepHELO); h.Status != Done || rep.HELO != "mail.sender.test" {
		t.Errorf("HELO step %v %q (%q)", h.Status, h.State, rep.HELO)
	}
	ds, _ := rep.Step(StepDKIM)
	if ds.Action == nil {
		t.Fatalf("no DKIM action: %v %q", ds.Status, ds.State)
	}
	applied, err := ds.Action.Apply()
	if err != nil {
		t.Fatal(err)
	}
	os.Chown(filepath.Dir(cfg.KeyPath), uid, gid)
	// The person publishes the record the action printed.
	rec := strings.TrimPrefix(applied.Lines[0], "publish: ")
	name, value, _ := strings.Cut(rec, " TXT ")
	value, _ = strconv.Unquote(value)
	var quoted []string
	for _, s := range scoring.SplitTXT(value) {
		quoted = append(quoted, strconv.Quote(s))
	}
	if err := srv.AddRecord(name + ". IN TXT " + strings.Join(quoted, " ")); err != nil {
		t.Fatal(err)
	}
	r.Flush()

	rep = Check(context.Background(), cfg)
	ts, _ := rep.Step(StepTestSend)
	if ts.Action == nil {
		t.Fatalf("no test-send action: %q", ts.Do)
	}
	if !strings.Contains(ts.Action.Preview, "mailcred_capture:") {
		t.Errorf("the capture router is not previewed:\n%s", ts.Action.Preview)
	}
	out, err := ts.Action.Apply()
	t.Logf("test send:\n%s", strings.Join(out.Lines, "\n"))
	if err != nil {
		t.Fatalf("test send: %v", err)
	}
	joined := strings.Join(out.Lines, "\n")
	for _, want := range []string{"exim: delivered", "DKIM d=sender.test s=s1 a=rsa-sha256: pass", "HELO mail.sender.test", "passed: signed by the MTA"} {
		if !strings.Contains(joined, want) {
			t.Errorf("test send lacks %q", want)
		}
	}
	if ds2, _ := Check(context.Background(), cfg).Step(StepDKIM); ds2.Status != Done {
		t.Errorf("after the change DKIM is %v: %q %q", ds2.Status, ds2.State, ds2.Do)
	}
}

// The capture router is added once; a later capture address rewrites its
// route_list instead of adding a second router.
func TestCaptureRouterAddedOnceAndRepointed(t *testing.T) {
	text := "begin routers\n\nbegin transports\n"
	a := netip.MustParseAddrPort("127.0.0.1:2525")
	once, err := eximCaptureEdit("c", text, a)
	if err != nil || !strings.Contains(once, "route_list = * 127.0.0.1::2525 byname") {
		t.Fatalf("%v\n%s", err, once)
	}
	again, err := eximCaptureEdit("c", once, netip.MustParseAddrPort("127.0.0.1:2600"))
	if err != nil || strings.Count(again, "mailcred_capture:") != 1 || !strings.Contains(again, "127.0.0.1::2600 byname") || strings.Contains(again, "::2525") {
		t.Fatalf("%v\n%s", err, again)
	}
}

// IPv6 is probed apart from IPv4: a target with only an AAAA record is
// open over IPv6 and "no address" over IPv4, and a what-is-my-address
// service reached over IPv6 reports the IPv6 address.
func TestIPv6ProbedApart(t *testing.T) {
	ln, err := smtptest.Greet("tcp6", "[::1]:0", "220 mx6.test ESMTP")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer ln.Close()
	srv, r := world(t)
	if err := srv.AddRecord("mx6.probe.test. IN AAAA ::1"); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	v4, v6 := probePort25(context.Background(), r, []string{"mx6.probe.test:" + port}, 2*time.Second)
	if !v6.Open || v4.Open || v4.Probes[0].Outcome != "no address" || v6.Probes[0].Greeting != "220 mx6.test ESMTP" {
		t.Errorf("v4 %+v\nv6 %+v", v4, v6)
	}

	pc, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 UDP loopback: %v", err)
	}
	who := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		if ua, ok := w.RemoteAddr().(*net.UDPAddr); ok {
			m.Answer = append(m.Answer, &dns.AAAA{Hdr: dns.RR_Header{Name: q.Question[0].Name, Rrtype: dns.TypeAAAA, Class: dns.ClassINET}, AAAA: ua.IP})
		}
		w.WriteMsg(m)
	})}
	go who.ActivateAndServe()
	defer who.Shutdown()
	found, problems := discover(context.Background(), []WhoAmI{{Server: pc.LocalAddr().String(), Name: "myip.test.", Type: dns.TypeAAAA}}, 2*time.Second)
	if len(found) != 1 || found[0].String() != "::1" {
		t.Errorf("found %v (%q)", found, problems)
	}
}

// A what-is-my-address service that does not answer is said in words,
// never with the socket's own ("read udp ...: connection refused").
func TestWhoAmIProblemsInWords(t *testing.T) {
	closed, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := closed.LocalAddr().String()
	closed.Close()
	silent, err := net.ListenPacket("udp", "127.0.0.1:0") // reads nothing, answers nothing
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	_, problems := discover(context.Background(), []WhoAmI{
		{Server: refused, Name: "myip.test.", Type: dns.TypeA},
		{Server: silent.LocalAddr().String(), Name: "myip.test.", Type: dns.TypeA},
	}, 200*time.Millisecond)
	all := strings.Join(problems, "\n")
	for _, want := range []string{"myip.test at " + refused + ": refused: nothing answers DNS there",
		"myip.test at " + silent.LocalAddr().String() + ": no reply within 200ms"} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "read udp") || strings.Contains(all, "i/o timeout") {
		t.Errorf("the socket's words leaked:\n%s", all)
	}
}

// An open port 25 is not probed again for Port25Reuse: watching does not
// knock on other people's MX hosts every few seconds.
func TestOpenPort25IsReused(t *testing.T) {
	_, r := world(t)
	cfg := baseConfig(t, r)
	now := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	cfg.Now = func() time.Time { return now }
	first := Check(context.Background(), cfg)
	cfg.Previous = &first
	cfg.Port25 = []string{closedPort(t)} // would be refused if probed
	now = now.Add(time.Minute)
	second := Check(context.Background(), cfg)
	if s, _ := second.Step(StepPort25); s.Status != Done || !strings.Contains(strings.Join(s.State, " "), "probed again after") {
		t.Errorf("reused: %v %q", s.Status, s.State)
	}
	now = now.Add(Port25Reuse)
	third := Check(context.Background(), cfg)
	if s, _ := third.Step(StepPort25); s.Status == Done {
		t.Errorf("not probed again after %v: %q", Port25Reuse, s.State)
	}
}

// The HELO step is done only when the MTA's name is a proper host name
// and every address's PTR names it: a PTR that could not be looked up is
// unknown, not done; a missing one is to do.
func TestHELOStepNeedsAKnownMatchingPTR(t *testing.T) {
	ip := netip.MustParseAddr("192.0.2.25")
	cfg := Config{Domain: "example.com"}
	ptr := func(o dnsx.Outcome, names ...string) map[netip.Addr]*rdns.PTRInfo {
		return map[netip.Addr]*rdns.PTRInfo{ip: {IP: ip, Outcome: o, Names: names}}
	}
	for _, tc := range []struct {
		name, helo string
		ptrs       map[netip.Addr]*rdns.PTRInfo
		want       Status
		state      string
	}{
		{"matching PTR", "mail.example.com", ptr(dnsx.Success, "mail.example.com"), Done, ""},
		{"a bare word", "vm", ptr(dnsx.Success, "mail.example.com"), Todo, "vm is a bare word"},
		{"PTR not looked up", "mail.example.com", ptr(dnsx.Timeout), Unknown, "could not be looked up"},
		{"resolver failed", "mail.example.com", ptr(dnsx.Failure), Unknown, "could not be looked up"},
		{"no PTR", "mail.example.com", ptr(dnsx.NXDomain), Todo, "has no PTR yet"},
		{"another name", "mail.example.com", ptr(dnsx.Success, "vps-1.hoster.example"), Todo, "PTR is vps-1.hoster.example"},
		{"no address known", "mail.example.com", nil, Unknown, "no sending address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := heloStep(cfg, tc.helo, tc.ptrs)
			state := strings.Join(s.State, "\n")
			if s.Status != tc.want || !strings.Contains(state, tc.state) {
				t.Errorf("%s: %s\n%s", tc.name, s.Status, state)
			}
		})
	}
}

// A private IPv4 interface address with no what-is-my-address answer is
// not a public address found: behind NAT, receivers see another one.
func TestAddressStepPrivateOnlyIsUnknown(t *testing.T) {
	priv := netip.MustParseAddr("10.0.0.5")
	s := addressStep(context.Background(), Config{}, Addresses{Interfaces: []netip.Addr{priv}, Problems: []string{"myip.test at 127.0.0.1:9: refused"}})
	if s.Status != Unknown || !strings.Contains(strings.Join(s.State, "\n"), "only a private IPv4 address is known (10.0.0.5)") {
		t.Errorf("%s %q", s.Status, s.State)
	}
	// Seen from outside, the same host is done (and said to be behind NAT).
	pub := netip.MustParseAddr("203.0.113.5")
	s = addressStep(context.Background(), Config{}, Addresses{Interfaces: []netip.Addr{priv}, Public: []netip.Addr{pub}})
	if s.Status != Done || !strings.Contains(strings.Join(s.State, "\n"), "behind NAT: receivers see 203.0.113.5, not 10.0.0.5") {
		t.Errorf("%s %q", s.Status, s.State)
	}
}

// Each port-25 probe is said in words (what a refusal, a missing route
// or silence means), not in the socket's ("dial tcp4 …: connect: …").
func TestPort25ProbesInWords(t *testing.T) {
	refused := ProbeResult{Target: "mx.test:25", Family: 4, Outcome: "refused", Err: "dial tcp4 127.0.0.1:25: connect: connection refused"}
	noRoute := ProbeResult{Target: "mx.test:25", Family: 6, Outcome: "no route", Err: "dial tcp6 [2001:db8::1]:25: connect: network is unreachable"}
	s := port25Step(Config{Port25: []string{"mx.test:25"}}, Egress{Family: 4, Probes: []ProbeResult{refused}}, Egress{Family: 6, Probes: []ProbeResult{noRoute}}, nil)
	state := strings.Join(s.State, "\n")
	for _, want := range []string{"IPv4 mx.test:25: refused (a reset came back", "IPv6 mx.test:25: no route (this host has no IPv6 route"} {
		if !strings.Contains(state, want) {
			t.Errorf("state lacks %q:\n%s", want, state)
		}
	}
	if strings.Contains(state, "dial tcp") {
		t.Errorf("the socket's words:\n%s", state)
	}
}

// The DMARC stage is the policy that applies, read from the record: a
// record at p=none with sp=reject is at the first stage, not the last
// (reading "p=reject" in the check's text took sp=reject for it).
func TestDMARCStageIsThePolicyThatApplies(t *testing.T) {
	for _, tc := range []struct {
		record, want string
	}{
		{"v=DMARC1; p=none; sp=reject; rua=mailto:d@example.com", "stage: p=none"},
		{"v=DMARC1; p=quarantine; np=reject; rua=mailto:d@example.com", "stage: p=quarantine"},
		{"v=DMARC1; p=reject; rua=mailto:d@example.com", "at the last stage: p=reject"},
	} {
		srv, err := dnstest.Start("example.com. 300 IN SOA ns.example.com. h.example.com. 1 7200 3600 1209600 60\n")
		if err != nil {
			t.Fatal(err)
		}
		srv.AddTXT("_dmarc.example.com", tc.record)
		r, err := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		cfg := Config{Domain: "example.com", Resolver: r}
		results := map[string]scoring.Result{}
		for _, res := range scoring.RunAll(context.Background(), &scoring.Env{Evidence: scoring.Evidence{Domain: "example.com"}, DNS: r}, dmarc.Checks()) {
			results[res.ID] = res
		}
		s := dmarcStep(context.Background(), cfg, results)
		if state := strings.Join(s.State, "\n"); !strings.Contains(state, tc.want) {
			t.Errorf("%s: state lacks %q:\n%s", tc.record, tc.want, state)
		}
		srv.Close()
	}
}
