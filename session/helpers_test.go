package session

import (
	"crypto"
	"fmt"
	"io"
	"net"
	"net/mail"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/compose"
	"github.com/mailcred/mailcred/session/smtpc"
	"github.com/mailcred/mailcred/session/smtptest"
)

const (
	testUser     = "sender@sender.test"
	testPassword = "s3cret-P4ssw0rd-never-shown"
	keyFile      = "sign/testdata/keys/rsa2048-private.pem"
)

func loadKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := dkim.LoadPrivateKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// world serves the sender's DKIM record and the MX records of rcpt.test,
// whose hosts mx0, mx1 and mx2 (preference 5, 10, 20) are 127.0.0.3,
// 127.0.0.2 and 127.0.0.1.
func world(t testing.TB, key crypto.Signer) *dnsx.Resolver {
	t.Helper()
	rec, err := dkim.RecordForKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	var quoted []string
	for _, s := range scoring.SplitTXT(rec) {
		quoted = append(quoted, fmt.Sprintf("%q", s))
	}
	zone := `
test.                       IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300
sender.test.                IN TXT "v=spf1 ip4:127.0.0.1 -all"
s1._domainkey.sender.test.  IN TXT ` + strings.Join(quoted, " ") + `
rcpt.test.                  IN MX 20 mx2.rcpt.test.
rcpt.test.                  IN MX 5 mx0.rcpt.test.
rcpt.test.                  IN MX 10 mx1.rcpt.test.
mx0.rcpt.test.              IN A 127.0.0.3
mx1.rcpt.test.              IN A 127.0.0.2
mx2.rcpt.test.              IN A 127.0.0.1
relay.test.                 IN A 127.0.0.1
nullmx.test.                IN MX 0 .
`
	srv, err := dnstest.Start(zone)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	r, err := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Timeout: time.Second, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// startSMTP starts a go-smtp test server that counts its connections.
func startSMTP(t testing.TB, o smtptest.Options) (*smtptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	policy := o.Policy
	o.Policy = func(c smtptest.Command) *smtptest.Reply {
		if c.Stage == smtpx.Connect {
			conns.Add(1)
		}
		if policy != nil {
			return policy(c)
		}
		return nil
	}
	if o.CertNames == nil {
		o.CertNames = []string{"mx.test", "localhost", "127.0.0.1", "mx1.rcpt.test", "mx2.rcpt.test"}
	}
	srv, err := smtptest.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv, &conns
}

// forward listens on addr and relays every connection to target: it puts
// a server that listens on 127.0.0.1 at another loopback address.
func forward(t testing.TB, addr, target string) *atomic.Int64 {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	var n atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			wg.Go(func() {
				defer c.Close()
				u, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer u.Close()
				done := make(chan struct{}, 2)
				go func() { io.Copy(u, c); done <- struct{}{} }()
				go func() { io.Copy(c, u); done <- struct{}{} }()
				<-done
			})
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return &n
}

// port returns the port of host:port.
func port(t testing.TB, addr string) int {
	t.Helper()
	ap, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return ap.Port
}

// recorder keeps the events handed to Send's callback.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) add(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, e := range r.events {
		b.WriteString(smtpc.Format(e))
		b.WriteByte('\n')
	}
	return b.String()
}

func draft() compose.Message {
	return compose.Message{
		From:    mail.Address{Name: "Sender", Address: "a@sender.test"},
		To:      []mail.Address{{Address: "b@rcpt.test"}},
		Subject: "mailcred test",
		Body:    "Hello from the test.\n",
	}
}

func quickTimeouts() smtpc.Timeouts {
	return smtpc.Timeouts{Connect: 2 * time.Second, Command: 2 * time.Second, Data: 2 * time.Second}
}

// fakeSendmail returns smtpc's stand-in sendmail script and where it
// records what it was given.
func fakeSendmail(t testing.TB) (script, out string) {
	t.Helper()
	script, err := filepath.Abs("smtpc/testdata/fake-sendmail")
	if err != nil {
		t.Fatal(err)
	}
	return script, filepath.Join(t.TempDir(), "sent")
}
