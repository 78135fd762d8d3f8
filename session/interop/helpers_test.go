package interop

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"net/mail"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/session/compose"
	"github.com/mailcred/mailcred/session/sign"
	"github.com/mailcred/mailcred/session/smtpc"
	"github.com/mailcred/mailcred/session/smtptest"
)

// The test world: a sender domain that signs, a receiving domain the peer
// accepts mail for, and nothing else.
const (
	senderDomain = "sender.test"
	localDomain  = "interop.test"
	mxName       = "mx.interop.test"
	fromAddr     = "alice@" + senderDomain
	toAddr       = "bob@" + localDomain
	heloName     = "client." + senderDomain
	selector     = "interop"
)

// peerTimeout bounds every external program a test runs.
const peerTimeout = 2 * time.Minute

// recorder keeps the transcript events of a session.
type recorder struct {
	mu     sync.Mutex
	events []smtpc.Event
}

func (r *recorder) add(e smtpc.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) all() []smtpc.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]smtpc.Event(nil), r.events...)
}

// transcript is the swaks-style transcript, for logs and failures.
func (r *recorder) transcript() string {
	var b strings.Builder
	for _, e := range r.all() {
		b.WriteString(smtpc.Format(e))
		b.WriteByte('\n')
	}
	return b.String()
}

// lockedBuffer collects a process's output while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 { // a chatty peer cannot fill memory
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// signedMessage is a message as the send session makes it: composed, then
// DKIM-signed twice, Ed25519 (RFC 8463) and RSA-2048, by senderDomain.
// It returns the signed bytes and the public keys, Ed25519 first.
func signedMessage(t *testing.T) ([]byte, []crypto.PublicKey) {
	t.Helper()
	m := compose.Message{
		From:    mail.Address{Name: "Alice Example", Address: fromAddr},
		To:      []mail.Address{{Name: "Bob", Address: toAddr}},
		Subject: "Grüße über eine echte Exim-Strecke",
		Body: "Hello Bob,\n\n" +
			".a line that starts with a dot, to be dot-stuffed on the wire\n" +
			"a long line for quoted-printable: " + strings.Repeat("mailcred ", 20) + "\n" +
			"trailing white space stays   \n\nBye.\n",
	}
	msg, err := m.Render(time.Now(), senderDomain)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []crypto.Signer{edKey, rsaKey} {
		if msg, _, err = sign.Sign(msg, sign.Options{Domain: senderDomain, Selector: selector, Key: k}); err != nil {
			t.Fatal(err)
		}
	}
	return msg, []crypto.PublicKey{edKey.Public(), rsaKey.Public()}
}

// checkSignatures verifies each key's signature on msg, offline.
func checkSignatures(t *testing.T, what string, msg []byte, pubs []crypto.PublicKey) {
	t.Helper()
	for _, pub := range pubs {
		if err := dkim.VerifyOffline(msg, pub); err != nil {
			t.Errorf("%s: the %T signature does not verify: %v", what, pub, err)
		}
	}
}

// freeLoopbackPort returns a TCP port on 127.0.0.1 that was free a moment
// ago, for a peer that must be told its port rather than report it.
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// waitListening polls addr until it accepts a connection, exited reports
// the peer gone, or the deadline passes.
func waitListening(addr string, exited <-chan struct{}, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("exited before listening")
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("not listening after " + within.String())
}

// writePEM writes the certificate's leaf and key (PKCS#8), or the CA
// alone when key is "", as PEM files in dir.
func writePEM(t *testing.T, cert *smtptest.Certificate, dir, certFile, keyFile string) {
	t.Helper()
	der := cert.Leaf.Raw
	if keyFile == "" {
		der = cert.CA.Raw
	}
	write := func(name, typ string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(certFile, "CERTIFICATE", der)
	if keyFile != "" {
		key, err := x509.MarshalPKCS8PrivateKey(cert.TLS.PrivateKey)
		if err != nil {
			t.Fatal(err)
		}
		write(keyFile, "PRIVATE KEY", key)
	}
}

// lookPeer finds a peer's program among names, or skips the test with the
// command that installs it.
func lookPeer(t *testing.T, install string, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
		for _, dir := range []string{"/usr/sbin", "/usr/local/sbin"} { // sbin is not on every PATH
			if p := filepath.Join(dir, n); isExecutable(p) {
				return p
			}
		}
	}
	t.Skipf("%s not found; install with: %s (or run .ci/install-peers)", names[0], install)
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// deliverOptions are the client options of a session to addr that must
// use STARTTLS and verify the chain against the test CA for mxName.
func deliverOptions(addr string, cert *smtptest.Certificate, rec *recorder) smtpc.Options {
	return smtpc.Options{
		Addr:               addr,
		ServerName:         mxName,
		HELO:               heloName,
		TLSMode:            smtpc.TLSStartTLS,
		RootCAs:            cert.Pool,
		RequireVerifiedTLS: true,
		Timeouts:           smtpc.Timeouts{Connect: 10 * time.Second, Command: 30 * time.Second, Data: time.Minute},
		Events:             rec.add,
	}
}

// testContext is a context that ends with the test or after peerTimeout.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), peerTimeout)
	t.Cleanup(cancel)
	return ctx
}

// peerUser is who a peer runs as: the test's own user, or "nobody" when
// the test runs as root (a peer never runs privileged); cred is nil for
// the test's own user.
func peerUser(t *testing.T) (uid, gid int, cred *syscall.Credential) {
	t.Helper()
	uid, gid = os.Getuid(), os.Getgid()
	if os.Geteuid() != 0 {
		return uid, gid, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("running as root and no user nobody to run the peer as: %v", err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid, &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
}
