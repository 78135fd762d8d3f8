package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/smtpc"
	"github.com/mailcred/mailcred/session/smtptest"
)

const eximInstall = "apt-get install -y --no-install-recommends exim4-daemon-light"

// eximConfig is a whole Exim configuration for one test: a daemon on one
// loopback port offering STARTTLS, accepting mail for localDomain only
// (everything else is refused at RCPT: it never relays), delivering into a
// maildir as the unprivileged user it runs as. No lookup leaves the
// machine: no reverse DNS (host_lookup), no ident (rfc1413_hosts), no
// dnslookup router, and primary_hostname is given.
const eximConfig = `# mailcred session/interop: Exim on loopback for one test
primary_hostname = {{.MX}}
exim_user = {{.UID}}
exim_group = {{.GID}}
never_users = root
keep_environment =
spool_directory = {{.Dir}}/spool
log_file_path = {{.Dir}}/log/%slog
pid_file_path = {{.Dir}}/exim.pid
local_interfaces = 127.0.0.1
daemon_smtp_ports = {{.Port}}
host_lookup =
rfc1413_hosts =
tls_advertise_hosts = *
tls_certificate = {{.Dir}}/cert.pem
tls_privatekey = {{.Dir}}/key.pem
domainlist local_domains = {{.Domain}}
acl_smtp_rcpt = acl_rcpt
acl_smtp_data = acl_data

begin acl
acl_rcpt:
  accept domains = +local_domains
  deny   message = relay not permitted

acl_data:
  accept

begin routers
local:
  driver = accept
  domains = +local_domains
  transport = maildir

begin transports
maildir:
  driver = appendfile
  directory = {{.Dir}}/maildir
  maildir_format
  create_directory
  use_crlf
  user = {{.UID}}
  group = {{.GID}}
  mode = 0600
`

// exim is a running Exim daemon owned by a test.
type exim struct {
	addr    string
	dir     string
	maildir string
	out     *lockedBuffer // the daemon's stdout and stderr
}

// startExim writes a configuration into a fresh temporary directory and
// runs `exim -C conf -bdf` (the daemon, in the foreground) under the
// test's control: in its own process group, for at most peerTimeout, and
// killed with all its children when the test ends. With -C Exim gives up
// root and runs as its caller, so as root the daemon is started as
// "nobody": it never runs privileged, and the system's own Exim, its
// configuration and port 25 are never touched.
func startExim(t *testing.T, cert *smtptest.Certificate) *exim {
	t.Helper()
	bin := lookPeer(t, eximInstall, "exim4", "exim")
	uid, gid, _ := peerUser(t)

	dir := t.TempDir()
	for _, d := range []string{"spool", "log", "maildir"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	writePEM(t, cert, dir, "cert.pem", "key.pem")
	port := freeLoopbackPort(t)
	var conf bytes.Buffer
	err := template.Must(template.New("exim").Parse(eximConfig)).Execute(&conf, map[string]any{
		"MX": mxName, "Domain": localDomain, "Dir": dir, "Port": port, "UID": uid, "GID": gid,
	})
	if err != nil {
		t.Fatal(err)
	}
	confPath := filepath.Join(dir, "exim.conf")
	if err := os.WriteFile(confPath, conf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		giveTo(t, dir, uid, gid)
	}

	x := &exim{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), dir: dir, maildir: filepath.Join(dir, "maildir"), out: &lockedBuffer{}}
	ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
	args := []string{bin, "-C", confPath, "-bdf"}
	if tm, err := exec.LookPath("timeout"); err == nil {
		// Bounded even if this test process dies without its cleanups:
		// coreutils' timeout ends the daemon's whole group.
		args = append([]string{tm, "-k", "5", strconv.Itoa(int(peerTimeout.Seconds()) + 30)}, args...)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.Stdout, cmd.Stderr = x.out, x.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if os.Geteuid() == 0 {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	}
	// The daemon forks a process per connection and per delivery: end the
	// whole group, not the daemon alone.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // any child still there
		cancel()
		<-exited
	})
	if err := waitListening(x.addr, exited, 15*time.Second); err != nil {
		t.Fatalf("exim on %s: %v\n%s", x.addr, err, x.logs())
	}
	return x
}

// giveTo hands dir and everything in it to uid:gid, and lets that user
// through the directory above it (the test's temporary root, 0700).
func giveTo(t *testing.T, dir string, uid, gid int) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	if err == nil {
		err = os.Chmod(filepath.Dir(dir), 0o711)
	}
	if err != nil {
		t.Fatalf("hand %s to uid %d: %v", dir, uid, err)
	}
}

// logs is the daemon's output and its log files, for failure messages.
func (x *exim) logs() string {
	var b strings.Builder
	fmt.Fprintf(&b, "--- exim output\n%s", x.out.String())
	for _, f := range []string{"mainlog", "rejectlog", "paniclog"} {
		if data, err := os.ReadFile(filepath.Join(x.dir, "log", f)); err == nil {
			fmt.Fprintf(&b, "--- %s\n%s", f, data)
		}
	}
	return b.String()
}

// waitDelivered waits for n messages in the maildir's new/ and returns
// them, or fails the test after within.
func (x *exim) waitDelivered(t *testing.T, n int, within time.Duration) [][]byte {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		entries, _ := os.ReadDir(filepath.Join(x.maildir, "new"))
		if len(entries) >= n || time.Now().After(deadline) {
			var msgs [][]byte
			for _, e := range entries {
				b, err := os.ReadFile(filepath.Join(x.maildir, "new", e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				msgs = append(msgs, b)
			}
			if len(msgs) != n {
				t.Fatalf("%d messages in the maildir after %v, want %d\n%s", len(msgs), within, n, x.logs())
			}
			return msgs
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// mailcred delivers through a real Exim: STARTTLS verified against the
// test CA, 250 at the end of data, and the copy Exim wrote into the
// maildir carries both DKIM signatures intact, byte for byte below the
// Received field Exim prepends.
func TestEximAcceptsOurSignedDeliveryOverSTARTTLS(t *testing.T) {
	cert, err := smtptest.NewCertificate(mxName)
	if err != nil {
		t.Fatal(err)
	}
	x := startExim(t, cert)
	msg, pubs := signedMessage(t)

	rec := &recorder{}
	d, err := smtpc.Deliver(testContext(t), deliverOptions(x.addr, cert, rec), smtpc.Envelope{From: fromAddr, To: []string{toAddr}}, msg)
	t.Logf("transcript:\n%s", rec.transcript())
	if err != nil {
		t.Fatalf("deliver: %v\n%s", err, x.logs())
	}

	if d.TLS == nil || !d.TLS.Verified || d.TLS.ServerName != mxName {
		t.Errorf("TLS = %+v, want verified for %s", d.TLS, mxName)
	} else if !strings.HasPrefix(d.TLS.Version, "TLS 1.") || len(d.TLS.Chain) == 0 || d.TLS.Chain[0].Subject != "CN="+mxName {
		t.Errorf("TLS = %+v, want a TLS version and the test leaf first", d.TLS)
	}
	if d.Final.Code != 250 || !strings.Contains(strings.Join(d.Final.Lines, " "), "id=") {
		t.Errorf("end of data: %v, want Exim's 250 OK id=…", d.Final.Lines)
	}
	// The capabilities kept are the second EHLO's: RFC 3207 §4.2 forbids
	// announcing STARTTLS again once TLS is up, and Exim follows it.
	if d.Capabilities.StartTLS || d.Capabilities.Size == 0 {
		t.Errorf("capabilities after TLS: %+v, want the second EHLO's (SIZE, no STARTTLS)", d.Capabilities)
	}
	checkSTARTTLSTranscript(t, rec)

	landed := x.waitDelivered(t, 1, 30*time.Second)[0]
	if !bytes.HasPrefix(landed, []byte("Received: ")) || !bytes.Contains(landed, []byte("by "+mxName+" with esmtps")) {
		t.Errorf("the landed copy does not start with Exim's Received field over TLS (esmtps):\n%.400s", landed)
	}
	if !bytes.HasSuffix(landed, msg) {
		t.Errorf("Exim changed the message below its Received field:\nsent:\n%s\nlanded:\n%s", msg, landed)
	}
	checkSignatures(t, "the copy in Exim's maildir", landed, pubs)
}

// checkSTARTTLSTranscript asserts the shape of a STARTTLS session: EHLO
// and STARTTLS in plaintext, the TLS event (verified), then every command
// and reply, EHLO again first (RFC 3207 §4.2), under TLS.
func checkSTARTTLSTranscript(t *testing.T, rec *recorder) {
	t.Helper()
	events := rec.all()
	tlsAt := -1
	for i, e := range events {
		if e.Kind == smtpc.KindTLS {
			tlsAt = i
			break
		}
	}
	if tlsAt < 0 {
		t.Fatalf("no TLS event in the transcript:\n%s", rec.transcript())
	}
	if info := events[tlsAt].TLS; info == nil || !info.Verified {
		t.Errorf("TLS event: %+v, want verified", info)
	}
	var before, after []string
	for i, e := range events {
		if e.Kind != smtpc.KindSent && e.Kind != smtpc.KindReceived {
			continue
		}
		line := ""
		if len(e.Lines) > 0 {
			line = e.Lines[0]
		}
		if i < tlsAt {
			if e.Secure {
				t.Errorf("event %d before the handshake is marked secure: %q", i, line)
			}
			if e.Kind == smtpc.KindSent {
				before = append(before, firstWord(line))
			}
			continue
		}
		if !e.Secure {
			t.Errorf("event %d after the handshake is not marked secure: %q", i, line)
		}
		if e.Kind == smtpc.KindSent {
			after = append(after, firstWord(line))
		}
	}
	if got := strings.Join(before, " "); got != "EHLO STARTTLS" {
		t.Errorf("commands in plaintext: %s, want EHLO STARTTLS", got)
	}
	if len(after) < 4 || after[0] != "EHLO" || after[1] != "MAIL" || after[2] != "RCPT" || after[3] != "DATA" {
		t.Errorf("commands under TLS: %v, want EHLO MAIL RCPT DATA …", after)
	}
}

// firstWord is a command's verb: "MAIL" of "MAIL FROM:<a@b>".
func firstWord(line string) string {
	w, _, _ := strings.Cut(line, " ")
	return w
}

// The same Exim refuses a recipient outside its domain at RCPT: the
// configuration never relays, and mailcred reports the stage and code.
func TestEximRefusesRelayAtRCPT(t *testing.T) {
	cert, err := smtptest.NewCertificate(mxName)
	if err != nil {
		t.Fatal(err)
	}
	x := startExim(t, cert)
	msg, _ := signedMessage(t)
	rec := &recorder{}
	_, err = smtpc.Deliver(testContext(t), deliverOptions(x.addr, cert, rec), smtpc.Envelope{From: fromAddr, To: []string{"carol@elsewhere.example"}}, msg)
	var re *smtpc.ReplyError
	if !errors.As(err, &re) || re.Stage != smtpx.RCPT || re.Reply.Code != 550 {
		t.Fatalf("deliver to another domain: %v, want 550 at RCPT\n%s", err, rec.transcript())
	}
	if !strings.Contains(strings.Join(re.Reply.Lines, " "), "relay not permitted") {
		t.Errorf("refusal %v does not carry the configured text", re.Reply.Lines)
	}
	if entries, _ := os.ReadDir(filepath.Join(x.maildir, "new")); len(entries) != 0 {
		t.Errorf("%d messages delivered after a refused RCPT", len(entries))
	}
}
