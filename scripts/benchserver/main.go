// Command benchserver is the loopback world scripts/bench-send.sh times
// its clients against, so that mailcred and swaks meet the same peer:
//
//   - an SMTP server, mailcred's test server (session/smtptest: go-smtp
//     with STARTTLS from a generated CA, accepting every message);
//   - a DNS server (scoring/dnstest) holding the sender domain's SPF,
//     DKIM and DMARC records and the sending address's reverse name, for
//     the checks `mailcred send` runs after the send, so they never ask
//     the system's resolver.
//
// Both listen on 127.0.0.1 only. It prints the SMTP host:port then the DNS
// host:port on stdout, writes the CA (-ca) and the DKIM signing key
// (-dkim-key) for the clients, keeps the number of accepted messages in
// -count, and stops on SIGINT or SIGTERM, or after -for at the latest,
// printing to stderr how many messages it accepted and how many over TLS.
package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/session/smtptest"
)

// config is what the flags ask for.
type config struct {
	caFile, keyFile, countFile string
	mx, domain, selector, helo string
	life                       time.Duration
}

func main() { os.Exit(run()) }

func run() int {
	var c config
	flag.StringVar(&c.caFile, "ca", "", "write the test CA here, PEM, for the clients to trust (required)")
	flag.StringVar(&c.keyFile, "dkim-key", "", "write a DKIM signing key here (RSA-2048, PKCS#8 PEM) and publish its record (required)")
	flag.StringVar(&c.countFile, "count", "", "keep the number of accepted messages in this file (required)")
	flag.StringVar(&c.mx, "name", "mx.bench.test", "the SMTP server's host name: greeting and certificate")
	flag.StringVar(&c.domain, "domain", "sender.test", "the sender domain the DNS server publishes records for")
	flag.StringVar(&c.selector, "selector", "bench", "the DKIM selector of the published key")
	flag.StringVar(&c.helo, "helo", "mail.sender.test", "the sending host's name: PTR of 127.0.0.1, its A record, the sender domain's MX")
	flag.DurationVar(&c.life, "for", 10*time.Minute, "stop after this long at the latest")
	flag.Parse()
	if c.caFile == "" || c.keyFile == "" || c.countFile == "" || c.life <= 0 {
		flag.Usage()
		return 2
	}
	if err := serve(c); err != nil {
		fmt.Fprintln(os.Stderr, "benchserver:", err)
		return 1
	}
	return 0
}

func serve(c config) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, c.life)
	defer cancel()

	zone, err := senderZone(c)
	if err != nil {
		return err
	}
	dns, err := dnstest.Start(zone)
	if err != nil {
		return err
	}
	defer dns.Close()

	cert, err := smtptest.NewCertificate(c.mx, "127.0.0.1", "localhost")
	if err != nil {
		return err
	}
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.CA.Raw})
	if err := os.WriteFile(c.caFile, ca, 0o644); err != nil {
		return err
	}
	srv, err := smtptest.Start(smtptest.Options{Domain: c.mx, Certificate: cert, ReadTimeout: 10 * time.Second})
	if err != nil {
		return err
	}
	if err := writeCount(c.countFile, 0); err != nil {
		srv.Close()
		return err
	}
	fmt.Println(srv.Addr())
	fmt.Println(dns.Addr)

	// Count as messages arrive, until the end; each wait is bounded by ctx.
	counted := make(chan struct{})
	go func() {
		defer close(counted)
		for n := 1; ; n++ {
			if _, err := srv.WaitMessages(ctx, n); err != nil {
				return
			}
			writeCount(c.countFile, n)
		}
	}()
	<-ctx.Done()
	<-counted

	closeErr := srv.Close()
	msgs := srv.Messages()
	secure := 0
	for _, m := range msgs {
		if m.TLS {
			secure++
		}
	}
	fmt.Fprintf(os.Stderr, "benchserver: accepted %d messages (%d over TLS)\n", len(msgs), secure)
	return closeErr
}

// senderZone makes the DKIM key, writes it to c.keyFile, and returns the
// records a receiver would find for the sender: SPF allowing 127.0.0.1,
// the DKIM key, DMARC, an MX for bounces, and forward-confirmed reverse
// DNS for 127.0.0.1.
func senderZone(c config) (string, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(c.keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return "", err
	}
	record, err := dkim.RecordForKey(key.Public())
	if err != nil {
		return "", err
	}
	var parts []string
	for _, s := range scoring.SplitTXT(record) {
		parts = append(parts, strconv.Quote(s))
	}
	d := c.domain + "."
	return strings.Join([]string{
		d + " 300 IN TXT \"v=spf1 ip4:127.0.0.1 -all\"",
		d + " 300 IN MX 10 " + c.helo + ".",
		"_dmarc." + d + " 300 IN TXT \"v=DMARC1; p=reject; adkim=s; aspf=s\"",
		c.selector + "._domainkey." + d + " 300 IN TXT " + strings.Join(parts, " "),
		c.helo + ". 300 IN A 127.0.0.1",
		"1.0.0.127.in-addr.arpa. 300 IN PTR " + c.helo + ".",
	}, "\n"), nil
}

// writeCount replaces the count file in one step, so a reader never sees
// it half written.
func writeCount(path string, n int) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(n)+"\n"), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
