package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	msgdkim "github.com/emersion/go-msgauth/dkim"

	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/simzone"
	"github.com/mailcred/mailcred/session/smtptest"
)

// The sender of the world: a realistic, healthy setup (an SPF include
// chain of depth 3, a 2048-bit DKIM key, DMARC with an external and
// authorised rua, forward-confirmed reverse DNS, no listings).
const (
	domain   = "example.com"
	mailHost = "mail.example.com"
	selector = "s1"
	from     = "alice@example.com"
	rcpt     = "bob@bench.test"
	mxName   = "mx.bench.test"
)

// world is everything the commands meet: the DNS server (latency
// injected), an SMTP server behind a proxy that delays its replies by the
// same amount (a peer as far away as the resolver), and the files the
// commands read. Everything listens on 127.0.0.1.
type world struct {
	dir  string
	dns  *dnstest.Server
	smtp *smtptest.Server
	// proxy is the SMTP server's address as the sender sees it.
	proxy *delayProxy
	ips   []netip.Addr
	key   crypto.Signer

	keyFile, caFile, bodyFile, messageFile string
	message                                []byte // the signed message score and receive judge
}

// newWorld builds the world with n sending IPs (n ≥ 1): 192.0.2.10 …, and
// 2001:db8::10 as the second when n ≥ 2.
func newWorld(parent string, n int) (*world, error) {
	dir, err := os.MkdirTemp(parent, fmt.Sprintf("world%d-", n))
	if err != nil {
		return nil, err
	}
	w := &world{dir: dir}
	for i := 0; i < n; i++ {
		switch {
		case i == 1:
			w.ips = append(w.ips, netip.MustParseAddr("2001:db8::10"))
		default:
			w.ips = append(w.ips, netip.AddrFrom4([4]byte{192, 0, 2, byte(10 + i)}))
		}
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	w.key = rk
	record, err := dkim.RecordForKey(rk.Public())
	if err != nil {
		return nil, err
	}
	ptr := map[netip.Addr]bool{}
	for _, ip := range w.ips {
		ptr[ip] = true
	}
	zone, err := simzone.Zone(simzone.Setup{
		Domain: domain, MailHost: mailHost, IPs: w.ips, PTR: ptr,
		SPF: "v=spf1 include:_spf.example.com -all",
		Extra: map[string]string{
			"_spf.example.com":                               "v=spf1 include:_spf.relay.example.net ~all",
			"_spf.relay.example.net":                         "v=spf1 include:_spf.example.org ?all",
			"_spf.example.org":                               "v=spf1 a:mail.example.com mx:example.com -all",
			"example.com._report._dmarc.reports.example.net": "v=DMARC1",
		},
		Selector: selector, DKIM: record,
		DMARC: "v=DMARC1; p=reject; rua=mailto:dmarc@reports.example.net",
	})
	if err != nil {
		return nil, err
	}
	// The parents' SOAs, as the real ones have: a negative answer above
	// the sender's zone (a DMARC tree walk reaching _dmarc.com) carries a
	// negative TTL and can be cached (RFC 2308), as it is on the Internet.
	for _, tld := range []string{"com", "net", "org", "arpa"} {
		zone += fmt.Sprintf("%s. 86400 IN SOA a.nic.%s. hostmaster.nic.%s. 1 1800 900 604800 900\n", tld, tld, tld)
	}
	if w.dns, err = dnstest.Start(zone); err != nil {
		return nil, err
	}
	cert, err := smtptest.NewCertificate(mxName, "127.0.0.1", "localhost")
	if err != nil {
		w.close()
		return nil, err
	}
	if w.smtp, err = smtptest.Start(smtptest.Options{Domain: mxName, Certificate: cert, ReadTimeout: 10 * time.Second}); err != nil {
		w.close()
		return nil, err
	}
	if w.proxy, err = startDelayProxy(w.smtp.Addr()); err != nil {
		w.close()
		return nil, err
	}

	der, err := x509.MarshalPKCS8PrivateKey(rk)
	if err != nil {
		w.close()
		return nil, err
	}
	body := strings.Repeat("Twelve lines of the benchmark message, the same text for every run.\n", 12)
	w.message, err = w.signedMessage(body)
	if err != nil {
		w.close()
		return nil, err
	}
	w.keyFile = filepath.Join(dir, "dkim.pem")
	w.caFile = filepath.Join(dir, "ca.pem")
	w.bodyFile = filepath.Join(dir, "body.txt")
	w.messageFile = filepath.Join(dir, "message.eml")
	for _, f := range []struct {
		path string
		data []byte
		mode os.FileMode
	}{
		{w.keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600},
		{w.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.CA.Raw}), 0o644},
		{w.bodyFile, []byte(body), 0o644},
		{w.messageFile, w.message, 0o644},
	} {
		if err := os.WriteFile(f.path, f.data, f.mode); err != nil {
			w.close()
			return nil, err
		}
	}
	return w, nil
}

// signedMessage is a plain message from the world's sender, DKIM-signed
// (relaxed/relaxed) by its key, CRLF line endings.
func (w *world) signedMessage(body string) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Alice <%s>\r\nTo: Bob <%s>\r\nSubject: bench\r\n", from, rcpt)
	fmt.Fprintf(&b, "Date: %s\r\nMessage-ID: <bench.%d@example.com>\r\n", time.Now().Format(time.RFC1123Z), time.Now().UnixNano())
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n")
	b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	var out bytes.Buffer
	err := msgdkim.Sign(&out, &b, &msgdkim.SignOptions{
		Domain: domain, Selector: selector, Signer: w.key,
		HeaderCanonicalization: msgdkim.CanonicalizationRelaxed, BodyCanonicalization: msgdkim.CanonicalizationRelaxed,
		HeaderKeys: []string{"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"},
	})
	return out.Bytes(), err
}

// setDelay sets the DNS server's latency and the SMTP peer's round trip.
func (w *world) setDelay(d time.Duration) {
	w.dns.SetLatency(d)
	w.proxy.setDelay(d)
}

func (w *world) close() {
	if w.proxy != nil {
		w.proxy.close()
	}
	if w.smtp != nil {
		w.smtp.Close()
	}
	if w.dns != nil {
		w.dns.Close()
	}
}

// waitDelivered waits until the SMTP server holds n messages.
func (w *world) waitDelivered(n int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := w.smtp.WaitMessages(ctx, n)
	return err
}
