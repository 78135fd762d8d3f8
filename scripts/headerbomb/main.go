// Command headerbomb makes and sends the header-bomb message of
// scripts/header-bomb.sh: a ~9.5 MB message of 700,000 tiny header fields,
// the shape that once cost `mailcred score` 600-880 MB and `mailcred
// receive` gigabytes. It talks only to the address it is given (loopback).
//
//	headerbomb gen -o FILE [-fields N]
//	headerbomb send -addr HOST:PORT -data FILE [-n PARALLEL] [-rcpt ADDR]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"sync"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: headerbomb gen|send [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "send":
		err = send(os.Args[2:])
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "headerbomb:", err)
		os.Exit(1)
	}
}

func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	out := fs.String("o", "", "output file (required)")
	fields := fs.Int("fields", 700000, "how many tiny header fields")
	fs.Parse(args)
	if *out == "" {
		return fmt.Errorf("gen: -o FILE is required")
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "From: bomb@example.com\r\nTo: victim@example.net\r\nSubject: header bomb\r\n"+
		"Date: %s\r\nMessage-ID: <bomb@example.com>\r\n", time.Now().Format(time.RFC1123Z))
	for i := 0; i < *fields; i++ {
		fmt.Fprintf(w, "X-B: %06d\r\n", i) // 13 bytes a field
	}
	w.WriteString("\r\nbody\r\n")
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func send(args []string) error {
	fs := flag.NewFlagSet("send", flag.ExitOnError)
	addr := fs.String("addr", "", "server HOST:PORT (required, loopback)")
	data := fs.String("data", "", "message file (required)")
	n := fs.Int("n", 1, "messages sent in parallel, one connection each")
	rcpt := fs.String("rcpt", "test@example.net", "recipient")
	sources := fs.Int("sources", 10, "spread connections over 127.0.0.2 … 127.0.0.(1+N), as distinct clients")
	fs.Parse(args)
	host, _, err := net.SplitHostPort(*addr)
	if err != nil || !net.ParseIP(host).IsLoopback() {
		return fmt.Errorf("send: -addr must be a loopback HOST:PORT, got %q", *addr)
	}
	msg, err := os.ReadFile(*data)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make(chan error, *n)
	for i := 0; i < *n; i++ {
		wg.Add(1)
		src := net.IPv4(127, 0, 0, byte(2+i%max(1, *sources)))
		go func() {
			defer wg.Done()
			errs <- sendOne(*addr, src, *rcpt, msg)
		}()
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			failed++
			fmt.Fprintln(os.Stderr, "headerbomb:", err)
		}
	}
	fmt.Printf("%d sent, %d refused or failed\n", *n-failed, failed)
	return nil
}

func sendOne(addr string, src net.IP, rcpt string, msg []byte) error {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: 10 * time.Second}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if err := c.Hello("bomb.example.com"); err != nil {
		return err
	}
	if err := c.Mail("bomb@example.com"); err != nil {
		return err
	}
	if err := c.Rcpt(rcpt); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}
