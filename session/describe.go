package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"os"
	"os/user"

	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/mx"
	"github.com/mailcred/mailcred/session/mta"
	"github.com/mailcred/mailcred/session/smtpc"
)

// maxHosts bounds the MX hosts tried for one domain, and maxAttempts the
// addresses tried in one send, so a domain with a long MX list cannot
// keep a send going for hours.
const (
	maxHosts    = 10
	maxAttempts = 10
)

// Destination is where a plan's message will go, found before anything
// is sent so that a person can confirm it.
type Destination struct {
	Route Route
	// Domain is the recipient domain whose MX hosts are listed (ViaMX).
	Domain string
	// Implicit: the domain has no MX records and its own address is used,
	// as an implicit MX of preference 0 (RFC 5321 §5.1).
	Implicit bool
	// Hosts are the servers in the order they will be tried: MX hosts by
	// preference (RFC 5321 §5.1), or the one --via host.
	Hosts []Host
	// Sendmail and SendmailArgs are the program run for ViaSendmail.
	Sendmail     string
	SendmailArgs []string
	// MTA is the command of ViaMTA, with the arguments mailcred adds;
	// Signer says who DKIM-signs and SubmitAs as which user the message
	// is handed over — what the confirmation must say.
	MTA      mta.Command
	MTAArgs  []string
	Signer   string
	SubmitAs string

	EnvelopeFrom string
	Recipients   []string
	HELO         string
	// Auth says, when the plan authenticates, under which condition the
	// password is sent — what the confirmation must state.
	Auth string
	// Local is the local IP the mail is expected to leave from, when it
	// can be known without connecting; LocalSource says how it is known,
	// or why it is not.
	Local       string
	LocalSource string
}

// Host is one server a send may talk to.
type Host struct {
	Name       string // host name without the final dot, or an IP address
	Preference uint16 // MX preference (ViaMX)
	Port       int
	// Addrs are its addresses in the order they will be tried (IPv6 first
	// unless a family is forced).
	Addrs []netip.Addr
	// Problem says why it has no address ("no A/AAAA record", "servfail").
	Problem string
}

// Targets returns host:port for each address.
func (h Host) Targets() []string {
	out := make([]string, len(h.Addrs))
	for i, a := range h.Addrs {
		out[i] = netip.AddrPortFrom(a, uint16(h.Port)).String()
	}
	return out
}

// Describe resolves where the message will go — the recipient domain's MX
// hosts by preference with their addresses, the --via host's addresses,
// or the sendmail program — and the local address it will probably leave
// from. It only asks DNS (through r) and the OS's routing table: nothing
// is sent and no connection is made.
func (p Plan) Describe(ctx context.Context, r *dnsx.Resolver) (*Destination, error) {
	d := &Destination{Route: p.Route, EnvelopeFrom: p.envelopeFrom(), Recipients: p.recipients(), HELO: p.helo(),
		Auth: p.authNote()}
	var err error
	switch p.Route.Kind {
	case ViaSendmail:
		d.Sendmail = p.Route.sendmail()
		d.SendmailArgs = smtpc.SendmailArgs(d.EnvelopeFrom, d.Recipients)
		d.LocalSource = "chosen by the local MTA (its -v output in the transcript shows the connection)"
		return d, nil
	case ViaMTA:
		return d, d.describeMTA(p)
	case ViaMX:
		err = d.resolveMX(ctx, r, p.Route)
	case ViaHost:
		err = d.resolveHost(ctx, r, p.Route)
	default:
		return nil, fmt.Errorf("describe: unknown route %q", p.Route.Kind)
	}
	if err != nil {
		return d, err
	}
	d.Local, d.LocalSource = localGuess(ctx, p.Route, d.Hosts)
	return d, nil
}

// describeMTA names the MTA (the one given, else the one detected), who
// signs and as which user the message is submitted.
func (d *Destination) describeMTA(p Plan) error {
	d.MTA = p.Route.MTA
	if len(d.MTA.Argv) == 0 {
		found := mta.Detect("/")
		f, ok := mta.Primary(found)
		if !ok {
			seen := "nothing"
			if len(found) > 0 {
				seen = fmt.Sprint(found)
			}
			return fmt.Errorf("no exim or postfix found on this host (found %s): name the MTA with --mta-command, or use --via sendmail or --via mx", seen)
		}
		cmd, err := mta.CommandFor(f)
		if err != nil {
			return err
		}
		d.MTA = cmd
	}
	if d.MTA.Kind == mta.Exim {
		d.MTAArgs = mta.EximArgs(d.EnvelopeFrom, d.Recipients)
	} else {
		d.MTAArgs = append([]string{"-i", "-f", d.EnvelopeFrom, "--"}, d.Recipients...)
	}
	d.Signer = "the MTA: mailcred sends the message unsigned (--sign makes mailcred sign it too)"
	if p.DKIM != nil {
		d.Signer = "mailcred (--sign), with " + p.DKIM.Selector + "._domainkey." + p.DKIM.Domain + "; the MTA may add its own signature"
	}
	d.SubmitAs = currentUser()
	d.HELO = "the MTA's own (shown in its transcript)"
	d.LocalSource = "chosen by the MTA (its transcript shows the connection)"
	return nil
}

// currentUser is "alice (uid 1000)", the user the MTA sees as submitter.
func currentUser() string {
	uid := os.Getuid()
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil {
		return fmt.Sprintf("%s (uid %d)", u.Username, uid)
	}
	return fmt.Sprintf("uid %d", uid)
}

// resolveMX lists the MX hosts of the recipient domain (RFC 5321 §5.1).
func (d *Destination) resolveMX(ctx context.Context, r *dnsx.Resolver, route Route) error {
	if r == nil {
		return errors.New("describe: no resolver")
	}
	domains := recipientDomains(d.Recipients)
	if len(domains) != 1 {
		return fmt.Errorf("describe: --via mx needs the recipients in one domain, not %d", len(domains))
	}
	d.Domain = domains[0]
	mxs, implicit, outcome := mx.Hosts(ctx, r, d.Domain)
	switch {
	case outcome == dnsx.NXDomain:
		return fmt.Errorf("the recipient domain %s does not exist (NXDOMAIN)", d.Domain)
	case outcome.Temporary():
		return fmt.Errorf("the MX records of %s could not be looked up (%s); try again, or use --resolver", d.Domain, outcome)
	case outcome != dnsx.Success || len(mxs) == 0:
		return fmt.Errorf("%s has no MX record and no address: it receives no mail (RFC 5321 §5.1)", d.Domain)
	case mx.IsNull(mxs):
		return fmt.Errorf("%s publishes a null MX (\"0 .\"): it accepts no mail at all (RFC 7505)", d.Domain)
	}
	d.Implicit = implicit
	for _, m := range mxs {
		if m.Host == "." || len(d.Hosts) == maxHosts {
			continue
		}
		d.Hosts = append(d.Hosts, Host{Name: strings.TrimSuffix(m.Host, "."), Preference: m.Preference, Port: route.mxPort()})
	}
	resolveAll(ctx, r, d.Hosts, route.Family)
	return d.anyAddress()
}

// resolveHost finds the addresses of the --via host.
func (d *Destination) resolveHost(ctx context.Context, r *dnsx.Resolver, route Route) error {
	host, port, err := net.SplitHostPort(route.HostPort)
	if err != nil {
		return fmt.Errorf("describe: server %q: %w", route.HostPort, err)
	}
	n, _ := strconv.Atoi(port)
	h := Host{Name: host, Port: n}
	switch ip, err := netip.ParseAddr(host); {
	case err == nil:
		h.Addrs = filterFamily([]netip.Addr{ip.Unmap()}, route.Family)
		if len(h.Addrs) == 0 {
			h.Problem = fmt.Sprintf("%s is not an address of the family asked (%s)", ip, route.Family)
		}
	case strings.EqualFold(strings.TrimSuffix(host, "."), "localhost"):
		// RFC 6761 §6.3: localhost is the loopback address, whatever DNS says.
		h.Addrs = filterFamily([]netip.Addr{netip.IPv6Loopback(), netip.MustParseAddr("127.0.0.1")}, route.Family)
	case r == nil:
		return errors.New("describe: no resolver")
	default:
		h.Name = strings.TrimSuffix(host, ".")
		hosts := []Host{h}
		resolveAll(ctx, r, hosts, route.Family)
		h = hosts[0]
	}
	d.Hosts = []Host{h}
	return d.anyAddress()
}

// anyAddress fails when no host has an address.
func (d *Destination) anyAddress() error {
	var why []string
	for _, h := range d.Hosts {
		if len(h.Addrs) > 0 {
			return nil
		}
		why = append(why, h.Name+": "+h.Problem)
	}
	return fmt.Errorf("no server has an address to connect to (%s)", strings.Join(why, "; "))
}

// resolveAll looks up the addresses of every host, concurrently.
func resolveAll(ctx context.Context, r *dnsx.Resolver, hosts []Host, fam Family) {
	var wg sync.WaitGroup
	for i := range hosts {
		wg.Go(func() {
			hosts[i].Addrs, hosts[i].Problem = lookupAddrs(ctx, r, hosts[i].Name, fam)
		})
	}
	wg.Wait()
}

// lookupAddrs asks for AAAA then A (or one of them when a family is
// forced) and returns the addresses in the order they will be tried, or
// why there are none.
func lookupAddrs(ctx context.Context, r *dnsx.Resolver, name string, fam Family) ([]netip.Addr, string) {
	var types []uint16
	if fam != Family4 {
		types = append(types, dnsx.TypeAAAA)
	}
	if fam != Family6 {
		types = append(types, dnsx.TypeA)
	}
	var addrs []netip.Addr
	var failures []string
	for _, t := range types {
		ans := r.Lookup(ctx, dnsx.Fqdn(name), t)
		if ans.Outcome == dnsx.Success {
			addrs = append(addrs, filterFamily(ans.Addrs(), fam)...)
			continue
		}
		kind := "A"
		if t == dnsx.TypeAAAA {
			kind = "AAAA"
		}
		failures = append(failures, kind+" "+ans.Outcome.String())
	}
	if len(addrs) > 0 {
		return addrs, ""
	}
	what := "no A/AAAA record"
	switch fam {
	case Family4:
		what = "no A record (IPv4 only)"
	case Family6:
		what = "no AAAA record (IPv6 only)"
	}
	return nil, what + " (" + strings.Join(failures, ", ") + ")"
}

// filterFamily keeps the addresses of the family.
func filterFamily(addrs []netip.Addr, fam Family) []netip.Addr {
	var out []netip.Addr
	for _, a := range addrs {
		a = a.Unmap()
		if fam == Family4 && !a.Is4() || fam == Family6 && a.Is4() {
			continue
		}
		out = append(out, a)
	}
	return out
}

// localGuess says which local address the first connection will most
// likely use: the bind address when one is set, otherwise the source the
// OS's routing table picks for the first target, found with a UDP
// "connect", which sends no packet. The real address is known, and
// reported, once connected.
func localGuess(ctx context.Context, route Route, hosts []Host) (string, string) {
	if route.LocalAddr != "" {
		return strings.Trim(route.LocalAddr, "[]"), "the local address you asked to send from"
	}
	for _, h := range hosts {
		for _, a := range h.Addrs {
			var dialer net.Dialer
			c, err := dialer.DialContext(ctx, "udp", netip.AddrPortFrom(a, uint16(h.Port)).String())
			if err != nil {
				continue
			}
			local := c.LocalAddr()
			c.Close()
			if ua, ok := local.(*net.UDPAddr); ok {
				if ip, ok := netip.AddrFromSlice(ua.IP); ok {
					return ip.Unmap().String(), fmt.Sprintf("the OS's route to %s, looked up without sending anything; behind NAT receivers see another address", a)
				}
			}
		}
	}
	return "", "chosen by the OS when connecting"
}

// authNote is the confirmation's line on AUTH: which rule will let the
// password go, or stop it.
func (p Plan) authNote() string {
	if p.Auth == nil {
		return ""
	}
	who := "AUTH as " + p.Auth.User + ": "
	switch {
	case p.Route.Kind != ViaHost:
		return who + "not used on this route"
	case p.Route.tlsMode() == smtpc.TLSNone:
		return who + "refused: --tls none would send the password in clear"
	case smtpc.Loopback(routeHost(p.Route.HostPort)):
		return who + "the server is this machine (loopback): the password is sent over TLS whether or not the certificate verifies"
	case p.AllowUnverifiedAuth:
		return who + "the password is sent over TLS even if the certificate does not verify (--auth-unverified-tls)"
	}
	return who + "the password is sent only if the server's certificate verifies; otherwise the send stops before AUTH " +
		"(--auth-unverified-tls overrides)"
}

func routeHost(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// Summary says in a few lines where a send will go: the route, the hosts
// in the order they will be tried, and the sending IP — what the
// confirmation shows before anything is sent.
func (d *Destination) Summary() string {
	var lines []string
	switch d.Route.Kind {
	case ViaSendmail:
		lines = append(lines, "via the local MTA: "+d.Sendmail+" "+strings.Join(d.SendmailArgs, " "))
	case ViaMTA:
		lines = append(lines, "via the local "+string(d.MTA.Kind)+": "+d.MTA.String()+" "+strings.Join(d.MTAArgs, " "),
			"signed by "+d.Signer, "submitted as "+d.SubmitAs)
	case ViaMX:
		lines = append(lines, "via the MX hosts of "+d.Domain+" (RFC 5321 §5.1 order):")
	default:
		lines = append(lines, "via "+d.Route.HostPort+":")
	}
	for _, h := range d.Hosts {
		where := strings.Join(h.Targets(), ", ")
		if len(h.Addrs) == 0 {
			where = "skipped: " + h.Problem
		}
		lines = append(lines, "  "+h.Name+"  "+where)
	}
	local := d.Local
	if local == "" {
		local = "chosen by the system"
	}
	lines = append(lines, "MAIL FROM:<"+d.EnvelopeFrom+">, sending IP "+local)
	if d.Auth != "" {
		lines = append(lines, d.Auth)
	}
	return strings.Join(lines, "\n")
}
