package tui

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/netip"
	"runtime"
	"strings"
	"sync"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session"
	"github.com/mailcred/mailcred/session/compose"
	"github.com/mailcred/mailcred/session/smtpc"
)

// testBench is a session.Bench for the screen's tests. It records every
// call made while the root's Update is on the stack: Update must never
// reach the bench (it may do I/O and settle the demo world).
type testBench struct {
	mu       sync.Mutex
	calls    int // sends
	fromUpd  []string
	describe func() (*session.Description, error)
	// Optional: the setup's evidence, the checks (run without DNS), and a
	// send that blocks until release is closed.
	ev      *scoring.Evidence
	checks  []scoring.Check
	events  []smtpc.Event
	release chan struct{}
}

func newTestBench() *testBench { return &testBench{} }

// touched records a call made from inside (*Model).Update.
func (b *testBench) touched(method string) {
	buf := make([]byte, 64<<10)
	stack := string(buf[:runtime.Stack(buf, false)])
	if strings.Contains(stack, "tui.(*Model).Update(") {
		b.mu.Lock()
		b.fromUpd = append(b.fromUpd, method)
		b.mu.Unlock()
	}
}

func (b *testBench) Title() string { return "example.com · demo: story" }

func (b *testBench) Draft() (compose.Message, []string) {
	return compose.Message{From: mail.Address{Address: "you@example.com"}, Subject: "test", Body: "hello"},
		[]string{"someone@gmail.example"}
}

func (b *testBench) Evidence(context.Context) (scoring.Evidence, error) {
	b.touched("Evidence")
	if b.ev != nil {
		return *b.ev, nil
	}
	return scoring.Evidence{Domain: "example.com"}, nil
}

func (b *testBench) Resolver() (*dnsx.Resolver, error) {
	b.touched("Resolver")
	if b.checks != nil { // they ask nothing: a resolver nobody uses
		return dnsx.New(dnsx.Config{Servers: []string{"127.0.0.1:9"}})
	}
	return nil, errors.New("no resolver in this test")
}

func (b *testBench) Checks() []scoring.Check {
	if b.checks != nil {
		return b.checks
	}
	return testChecks()
}

func (b *testBench) MessageChecks() []scoring.Check {
	return []scoring.Check{{ID: "msg.to", Title: "msg.to"}}
}

func (b *testBench) Describe(ctx context.Context, draft compose.Message, rcpt []string) (*session.Description, error) {
	b.touched("Describe")
	if b.describe != nil {
		return b.describe()
	}
	return &session.Description{Destination: &session.Destination{Route: session.Route{Kind: session.ViaMX},
		Domain: "gmail.example", EnvelopeFrom: "you@example.com", Local: "192.0.2.25",
		Hosts: []session.Host{{Name: "mx.gmail.example", Port: 2525, Addrs: []netip.Addr{netip.MustParseAddr("127.0.0.2")}}}}}, nil
}

func (b *testBench) Send(ctx context.Context, draft compose.Message, rcpt []string, events func(session.Event)) (*session.Sent, error) {
	b.touched("Send")
	b.mu.Lock()
	b.calls++
	b.mu.Unlock()
	if b.events == nil {
		events(smtpc.Event{Kind: smtpc.KindReceived, Code: 220, Lines: []string{"220 mx.gmail.example ESMTP"}})
	}
	for _, e := range b.events {
		events(e)
	}
	if b.release != nil {
		select {
		case <-b.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	o := &session.Outcome{Verdict: smtpx.Accepted, Reply: smtpc.Reply{Code: 250, Enhanced: "2.0.0", Lines: []string{"250 2.0.0 OK"}}}
	return &session.Sent{Outcome: o, Evidence: scoring.Evidence{Domain: "example.com"}}, nil
}

func (b *testBench) touchedFromUpdate() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.fromUpd) > 0 {
		return fmt.Errorf("the bench was called from Update: %v", b.fromUpd)
	}
	return nil
}
