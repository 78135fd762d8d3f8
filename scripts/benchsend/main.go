// Command benchsend sends one message with mailcred's SMTP client
// (session/smtpc.Deliver) over STARTTLS, the chain verified against a
// given CA, printing the transcript as `mailcred send` does. It stands in
// for `mailcred send` in scripts/bench-send.sh until that command exists,
// so the benchmark times the same client code either way.
package main

import (
	"context"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/mailcred/mailcred/session/smtpc"
)

func main() { os.Exit(run()) }

func run() int {
	addr := flag.String("addr", "", "server host:port (required)")
	caFile := flag.String("ca", "", "CA to verify the server's chain against, PEM (required)")
	serverName := flag.String("server-name", "mx.bench.test", "name the certificate must be valid for")
	helo := flag.String("helo", "client.bench.test", "EHLO name")
	from := flag.String("from", "alice@sender.test", "envelope sender")
	to := flag.String("to", "bob@bench.test", "envelope recipient")
	data := flag.String("data", "", "the message, CRLF line endings (required)")
	quiet := flag.Bool("q", false, "do not print the transcript")
	flag.Parse()
	if *addr == "" || *caFile == "" || *data == "" {
		flag.Usage()
		return 2
	}
	msg, err := os.ReadFile(*data)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchsend:", err)
		return 1
	}
	ca, err := os.ReadFile(*caFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchsend:", err)
		return 1
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(ca) {
		fmt.Fprintf(os.Stderr, "benchsend: no certificate in %s\n", *caFile)
		return 1
	}
	o := smtpc.Options{
		Addr:               *addr,
		ServerName:         *serverName,
		HELO:               *helo,
		TLSMode:            smtpc.TLSStartTLS,
		RootCAs:            roots,
		RequireVerifiedTLS: true,
		Timeouts:           smtpc.Timeouts{Connect: 10 * time.Second, Command: 30 * time.Second, Data: time.Minute},
	}
	if !*quiet {
		o.Events = func(e smtpc.Event) { fmt.Println(smtpc.Format(e)) }
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d, err := smtpc.Deliver(ctx, o, smtpc.Envelope{From: *from, To: []string{*to}}, msg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchsend:", err)
		return 1
	}
	if d.TLS == nil || !d.TLS.Verified {
		fmt.Fprintln(os.Stderr, "benchsend: delivered without verified TLS")
		return 1
	}
	return 0
}
