package interop

import (
	"context"
	"crypto/rsa"
	"fmt"
	"net/mail"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session"
	"github.com/mailcred/mailcred/session/compose"
	"github.com/mailcred/mailcred/session/keygen"
	"github.com/mailcred/mailcred/session/mta"
)

// Postfix and exim4 conflict in Debian (each is "the MTA"), so postfix is
// not installed: .ci/install-peers unpacks it (and opendkim) into
// $MAILCRED_POSTFIX_DIR. Its programs look for their libraries in
// /usr/lib/postfix, which does not exist, so each runs in a private mount
// namespace where the unpacked /usr/lib is overlaid on the real one: the
// host's /usr/lib is never changed. That needs root (mount).
const postfixInstall = "bash .ci/install-peers (unpacks postfix and opendkim into $MAILCRED_POSTFIX_DIR, default /tmp/mailcred-postfix)"

// postfixRoot is the unpacked tree, or the test is skipped.
func postfixRoot(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("MAILCRED_POSTFIX_DIR")
	if dir == "" {
		dir = "/tmp/mailcred-postfix"
	}
	root := filepath.Join(dir, "root")
	for _, p := range []string{"usr/lib/postfix/sbin/master", "usr/sbin/sendmail", "usr/sbin/opendkim"} {
		if !isExecutable(filepath.Join(root, p)) {
			t.Skipf("postfix/opendkim not unpacked in %s; run %s", dir, postfixInstall)
		}
	}
	if os.Geteuid() != 0 {
		t.Skip("the unpacked postfix runs in a private mount namespace, which needs root")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("unshare (util-linux) not found")
	}
	return root
}

// inNamespace wraps argv so it runs with root's /usr/lib overlaid.
func inNamespace(root string, argv ...string) []string {
	script := "mount -t overlay overlay -o lowerdir=" + root + "/usr/lib:/usr/lib /usr/lib && exec \"$0\" \"$@\""
	return append([]string{"unshare", "-m", "--", "sh", "-c", script}, argv...)
}

// postfixPeer is a postfix (and its OpenDKIM milter) for one test.
type postfixPeer struct {
	root, dir, log string
	cmd            mta.Command
}

// startPostfix runs master and opendkim under the test's control; every
// domain in routes goes to its loopback address through postfix's smtp
// client, so OpenDKIM signs as for real mail.
func startPostfix(t *testing.T, routes map[string]netip.AddrPort, key *rsa.PrivateKey) *postfixPeer {
	t.Helper()
	root := postfixRoot(t)
	uid, gid, _ := peerUser(t) // root (postfixRoot): nobody
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	os.Chmod(filepath.Dir(dir), 0o711)
	for _, d := range []string{"etc", "spool", "data", "dkim"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Chown(filepath.Join(dir, "data"), uid, gid)
	keyPath := filepath.Join(dir, "dkim", "s1.pem")
	if err := keygen.WriteKey(keyPath, key); err != nil {
		t.Fatal(err)
	}
	os.Chown(keyPath, uid, gid)

	milterPort := freeLoopbackPort(t)
	dkimConf := fmt.Sprintf("Syslog no\nMode s\nDomain %s\nSelector %s\nKeyFile %s\nCanonicalization relaxed/relaxed\nSocket inet:%d@127.0.0.1\nUserID nobody\nRequireSafeKeys false\nPidFile %s/opendkim.pid\n",
		senderDomain, selector, keyPath, milterPort, dir)
	write(t, filepath.Join(dir, "opendkim.conf"), dkimConf)

	master, err := os.ReadFile(filepath.Join(root, "usr/share/postfix/master.cf.dist"))
	if err != nil {
		t.Fatal(err)
	}
	var mlines []string
	for _, l := range strings.Split(string(master), "\n") {
		f := strings.Fields(l)
		if len(f) >= 8 && !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, " ") {
			if f[1] == "inet" {
				continue // no listening smtpd: submission is by sendmail only
			}
			f[4] = "n" // no chroot: the unpacked tree is not in the queue directory
			l = strings.Join(f, " ")
		}
		mlines = append(mlines, l)
	}
	write(t, filepath.Join(dir, "etc", "master.cf"), strings.Join(mlines, "\n"))
	var tm []string
	for d, ap := range routes {
		tm = append(tm, fmt.Sprintf("%s = smtp:[%s]:%d", d, ap.Addr(), ap.Port()))
	}
	logFile := filepath.Join(dir, "maillog")
	main := fmt.Sprintf(`compatibility_level = 3.6
myhostname = mail.%[2]s
mydomain = %[2]s
myorigin = %[2]s
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
queue_directory = %[1]s/spool
data_directory = %[1]s/data
command_directory = %[3]s/usr/sbin
daemon_directory = %[3]s/usr/lib/postfix/sbin
meta_directory = %[3]s/etc/postfix
mail_owner = nobody
setgid_group = mail
default_privs = daemon
maillog_file = %[4]s
maillog_file_prefixes = %[1]s
smtp_tls_security_level = none
smtp_dns_support_level = disabled
smtputf8_enable = no
transport_maps = inline:{ { %[5]s } }
non_smtpd_milters = inet:127.0.0.1:%[6]d
milter_default_action = tempfail
minimal_backoff_time = 300s
`, dir, senderDomain, root, logFile, strings.Join(tm, " }, { "), milterPort)
	write(t, filepath.Join(dir, "etc", "main.cf"), main)

	// The queue's directories are made by postfix-script, not by master.
	setup := inNamespace(root, filepath.Join(root, "usr/sbin/postfix"), "-c", filepath.Join(dir, "etc"), "check")
	if out, err := exec.Command(setup[0], setup[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("postfix check: %v\n%s", err, out)
	}
	write(t, logFile, "") // followed from its end; postlogd appends
	os.Chown(logFile, uid, gid)
	startDaemon(t, "opendkim", inNamespace(root, filepath.Join(root, "usr/sbin/opendkim"), "-f", "-x", filepath.Join(dir, "opendkim.conf")))
	startDaemon(t, "master", inNamespace(root, filepath.Join(root, "usr/lib/postfix/sbin/master"), "-c", filepath.Join(dir, "etc"), "-d"))
	deadline := time.Now().Add(20 * time.Second)
	for {
		if waitListening(fmt.Sprintf("127.0.0.1:%d", milterPort), nil, 100*time.Millisecond) == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("opendkim did not start (no milter on %d)", milterPort)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return &postfixPeer{root: root, dir: dir, log: logFile,
		cmd: mta.Command{Kind: mta.Postfix, Argv: inNamespace(root, filepath.Join(root, "usr/sbin/sendmail"), "-C", filepath.Join(dir, "etc"))}}
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// startDaemon runs argv in its own process group until the test ends.
func startDaemon(t *testing.T, name string, argv []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cancel()
		<-exited
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out.String())
		}
	})
}

func (p *postfixPeer) plan(to string) session.Plan {
	return session.Plan{
		Message: compose.Message{From: mail.Address{Name: "Alice", Address: fromAddr}, To: []mail.Address{{Address: to}},
			Subject: "through postfix", Body: "Hello through postfix and OpenDKIM.\n"},
		Route: session.Route{Kind: session.ViaMTA, MTA: p.cmd},
		MTA: mta.Options{Log: mta.LogSource{File: p.log}, Follow: time.Minute, Backoff: 300 * time.Second,
			Env: []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}},
	}
}

// Through the MTA route, postfix hands the message to OpenDKIM, which
// signs it; the route follows the queue ID in postfix's log to "sent",
// and the capture's copy carries OpenDKIM's signature, verifying
// against DNS.
func TestPostfixWithOpenDKIMThroughTheMTARoute(t *testing.T) {
	key := rsaKey(t)
	capture, err := mta.StartCapture("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer capture.Close()
	closed := netip.MustParseAddrPort("127.0.0.1:" + strconv.Itoa(freeLoopbackPort(t)))
	p := startPostfix(t, map[string]netip.AddrPort{mta.CaptureDomain: capture.Addr(), "refused.test": capture.Addr(), "later.test": closed}, key)
	r := dkimWorld(t, key)

	t.Run("delivered and signed by OpenDKIM", func(t *testing.T) {
		rec := &recorder{}
		o, err := session.Send(testContext(t), p.plan("check@"+mta.CaptureDomain), r, rec.add)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("transcript:\n%s", rec.transcript())
		if o.Verdict != smtpx.Accepted || o.MTA.Status != mta.StatusDelivered || o.MTA.QueueID == "" || o.Reply.Code != 250 {
			t.Fatalf("verdict %v mta %+v", o.Verdict, o.MTA)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		got, err := capture.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		obs := mta.Observe(ctx, o.Message, got, r)
		if !obs.Signed() || obs.Signatures[0].Domain != senderDomain || obs.Signatures[0].Selector != selector {
			t.Fatalf("closed loop: %+v (%s)", obs.Signatures, obs.SignErr)
		}
		if obs.HELO != "mail."+senderDomain {
			t.Errorf("HELO %q", obs.HELO)
		}
	})
	t.Run("bounced", func(t *testing.T) {
		rec := &recorder{}
		o, err := session.Send(testContext(t), p.plan("bob@refused.test"), nil, rec.add)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("transcript:\n%s", rec.transcript())
		if o.Verdict != smtpx.Rejected || o.MTA.Status != mta.StatusBounced || o.Reply.Code != 550 || o.Stage.String() != "RCPT" {
			t.Fatalf("verdict %v stage %v reply %v mta %+v", o.Verdict, o.Stage, o.Reply, o.MTA)
		}
	})
	t.Run("deferred with its retry time", func(t *testing.T) {
		rec := &recorder{}
		before := time.Now()
		o, err := session.Send(testContext(t), p.plan("bob@later.test"), nil, rec.add)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("transcript:\n%s", rec.transcript())
		if o.Verdict != smtpx.Deferred || o.MTA.Status != mta.StatusDeferred {
			t.Fatalf("verdict %v mta %+v", o.Verdict, o.MTA)
		}
		if o.MTA.RetryAt.Before(before.Add(299*time.Second)) || !strings.Contains(o.MTA.RetryNote, "minimal_backoff_time") {
			t.Errorf("retry %v (%s)", o.MTA.RetryAt, o.MTA.RetryNote)
		}
	})
}
