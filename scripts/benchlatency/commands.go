package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/mailcred/mailcred/cmd/mailcred/cli"
	"github.com/mailcred/mailcred/session/smtpc"
)

// command is one thing timed: a name and a function that runs it once in
// the world and returns how long the part under test took.
type command struct {
	name string
	// goal says what the figure is held to, for the table.
	goal string
	run  func(w *world) (time.Duration, error)
}

func commands() []command {
	return []command{
		{name: "check", goal: "≤ 1.1 × critical path", run: runCheck},
		{name: "score", goal: "≤ 1.5 × critical path", run: runScore},
		{name: "send", goal: "≤ bare SMTP + 1", run: runSend},
		{name: "send --no-score", goal: "(the send alone)", run: runSendNoScore},
		{name: "smtp", goal: "(bare SMTP delivery, the reference for send)", run: runSMTP},
		{name: "receive", goal: "DATA answered ≤ 3", run: runReceive},
	}
}

// mailcred runs the command line in process, as `mailcred ARGS…` would,
// and returns how long it took. Exit status 1 (a check failed) is not an
// error of the run.
func mailcred(args ...string) (time.Duration, error) {
	var out, errOut bytes.Buffer
	start := time.Now()
	code := cli.MainContext(context.Background(), cli.IO{In: strings.NewReader(""), Out: &out, Err: &errOut}, args)
	took := time.Since(start)
	if code != cli.ExitOK && code != cli.ExitFailed {
		return took, fmt.Errorf("mailcred %s: exit %d: %s", args[0], code, firstLines(errOut.String()+out.String(), 40))
	}
	return took, nil
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(strings.TrimSpace(s), "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, " / ")
}

func runCheck(w *world) (time.Duration, error) {
	args := []string{"check", "--domain", domain, "--helo", mailHost, "--selector", selector,
		"--dkim-key", w.keyFile, "--resolver", w.dns.Addr, "--timeout", "2s", "--format", "json"}
	for _, ip := range w.ips {
		args = append(args, "--ip", ip.String())
	}
	return mailcred(args...)
}

func runScore(w *world) (time.Duration, error) {
	return mailcred("score", w.messageFile, "--ip", w.ips[0].String(), "--helo", mailHost, "--mail-from", from,
		"--resolver", w.dns.Addr, "--timeout", "2s", "--format", "json")
}

func runSend(w *world) (time.Duration, error) { return send(w) }

func runSendNoScore(w *world) (time.Duration, error) { return send(w, "--no-score") }

func send(w *world, extra ...string) (time.Duration, error) {
	before := len(w.smtp.Messages())
	took, err := mailcred(append([]string{"send", "--yes", "--via", w.proxy.addr(), "--tls", "starttls", "--tls-ca", w.caFile, "--tls-verify",
		"--helo", mailHost, "--from", from, "--to", rcpt, "--subject", "bench", "--body-file", w.bodyFile,
		"--dkim-key", w.keyFile, "--selector", selector, "--ip", w.ips[0].String(),
		"--resolver", w.dns.Addr, "--timeout", "2s", "--format", "json"}, extra...)...)
	if err != nil {
		return took, err
	}
	return took, w.waitDelivered(before + 1)
}

// runSMTP is the bare delivery send makes (STARTTLS, verified), by
// mailcred's SMTP client alone: what send costs without any DNS.
func runSMTP(w *world) (time.Duration, error) {
	ca, err := os.ReadFile(w.caFile)
	if err != nil {
		return 0, err
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	_, err = smtpc.Deliver(ctx, smtpc.Options{
		Addr: w.proxy.addr(), ServerName: mxName, HELO: mailHost, TLSMode: smtpc.TLSStartTLS,
		RootCAs: roots, RequireVerifiedTLS: true,
		Timeouts: smtpc.Timeouts{Connect: 10 * time.Second, Command: 30 * time.Second, Data: time.Minute},
	}, smtpc.Envelope{From: from, To: []string{rcpt}}, w.message)
	return time.Since(start), err
}

// runReceive starts `mailcred receive` on a free loopback port and
// delivers the world's message to it over plain SMTP, through a proxy
// that holds each reply for the same delay as the DNS server's (a client
// one round trip away: the server sees RCPT, DATA and the message one
// round trip apart, as it would on the Internet). What is timed is from
// the message's end to the server's answer (the score), so it includes
// the answer's own trip back. A new server each time: its first message,
// nothing cached.
func runReceive(w *world) (time.Duration, error) {
	d, _, err := receiveTwice(w)
	return d, err
}

// receiveTwice times the first and a second message to one receive
// server: the second shows what the shared cache saves.
func receiveTwice(w *world) (first, second time.Duration, err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, stop := context.WithCancel(context.Background())
	exited := make(chan int, 1)
	var errOut bytes.Buffer
	go func() {
		exited <- cli.MainContext(ctx, cli.IO{In: strings.NewReader(""), Out: &bytes.Buffer{}, Err: &errOut},
			[]string{"receive", "--listen", addr, "--hostname", "receiver.bench.test", "--resolver", w.dns.Addr,
				"--timeout", "2s", "--format", "json"})
	}()
	defer func() {
		stop()
		<-exited
	}()
	// Wait for the listener: dial until it answers (bounded).
	for i := 0; ; i++ {
		c, derr := net.DialTimeout("tcp", addr, time.Second)
		if derr == nil {
			c.Close()
			break
		}
		if i == 200 {
			return 0, 0, fmt.Errorf("receive did not listen on %s: %s", addr, errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	proxy, err := startDelayProxy(addr)
	if err != nil {
		return 0, 0, err
	}
	defer proxy.close()
	proxy.setDelay(time.Duration(w.proxy.delay.Load()))
	if first, err = dataTime(proxy.addr(), w.message); err != nil {
		return 0, 0, err
	}
	second, err = dataTime(proxy.addr(), w.message)
	return first, second, err
}

func dataTime(addr string, msg []byte) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := smtpc.Dial(ctx, smtpc.Options{Addr: addr, HELO: mailHost, TLSMode: smtpc.TLSNone,
		Timeouts: smtpc.Timeouts{Connect: 10 * time.Second, Command: 30 * time.Second, Data: time.Minute}})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if _, err := c.Hello(ctx); err != nil {
		return 0, err
	}
	if _, err := c.Mail(ctx, from, smtpc.MailOptions{}); err != nil {
		return 0, err
	}
	if _, err := c.Rcpt(ctx, rcpt); err != nil {
		return 0, err
	}
	body := &endTimer{r: bytes.NewReader(msg)}
	reply, err := c.Data(ctx, body)
	took := time.Since(body.end)
	if err != nil {
		return took, err
	}
	if reply.Code/100 != 2 {
		return took, fmt.Errorf("receive answered DATA with %d", reply.Code)
	}
	c.Quit(ctx)
	return took, nil
}

// endTimer notes when the message has been read to its end: the client
// sends the final "." right after.
type endTimer struct {
	r   io.Reader
	end time.Time
}

func (e *endTimer) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF && e.end.IsZero() {
		e.end = time.Now()
	}
	return n, err
}
