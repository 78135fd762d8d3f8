package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/session/demo"
)

// TestCheckRunsOnAnyBench runs check's run (after its flags became a
// Bench) on the demo world's Bench: the evidence, resolver and checks are
// the world's as it is now, so the published SPF fix turns spf.record
// green on the next check.
func TestCheckRunsOnAnyBench(t *testing.T) {
	ctx := context.Background()
	w, err := demo.Start(ctx, demo.Options{Propagation: -1, Ramp: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	check := func() (map[string]string, error) {
		t.Helper()
		var out bytes.Buffer
		g := &globals{format: "json", theme: "mono", io: IO{Out: &out, Err: &out}}
		runErr := checkBench(ctx, g, w.Bench())
		var rep struct {
			Domain string `json:"domain"`
			Checks []struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"checks"`
			Queries []json.RawMessage
		}
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
		if rep.Domain != "example.com" || len(rep.Queries) == 0 {
			t.Fatalf("domain %q, %d queries: want the world's sender asked through the world's resolver", rep.Domain, len(rep.Queries))
		}
		got := map[string]string{}
		for _, r := range rep.Checks {
			got[r.ID] = r.Status
		}
		return got, runErr
	}
	before, err := check()
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != ExitFailed {
		t.Fatalf("exit %v: want failed (the story's setup has no SPF record)", err)
	}
	if before["spf.record"] != scoring.Fail.String() {
		t.Fatalf("spf.record before the fix: %v", before["spf.record"])
	}
	if err := w.Apply("spf.publish"); err != nil {
		t.Fatal(err)
	}
	after, _ := check()
	if after["spf.record"] != scoring.Pass.String() {
		t.Fatalf("spf.record after the world published the fix: %v", after["spf.record"])
	}
}

// TestCheckFlagsMakeOneBench: check's flags become a HostBench whose
// evidence is normalised and whose checks are the catalog's (through DQS
// when a key is given), the same Bench type the workbench builds.
func TestCheckFlagsMakeOneBench(t *testing.T) {
	f := &checkFlags{domain: " Example.COM. ", ips: []string{"192.0.2.1, ::ffff:192.0.2.2"}, helo: "mail.example.com."}
	g := &globals{dqsKey: "abcdefghijklmnopqrstuvwxyz"}
	b, _, err := f.bench(g)
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := b.Evidence(context.Background())
	if ev.Domain != "example.com" || ev.HELO != "mail.example.com" || len(ev.IPs) != 2 || !ev.IPs[1].Is4() {
		t.Fatalf("evidence %+v", ev)
	}
	if b.Title() != "example.com" || b.DQSKey.Reveal() == "" || len(b.Checks()) == 0 {
		t.Fatalf("bench %q, dqs set %v, %d checks", b.Title(), b.DQSKey.Reveal() != "", len(b.Checks()))
	}
}
