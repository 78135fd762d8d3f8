package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/session/profile"
)

const testDQSKey = "q1w2e3r4t5y6u7i8o9p0a1s2d3"

// dqsWorld is the healthy sender's zone plus the DQS zones' RFC 5782 test
// points and, when listed, 192.0.2.10 on ZEN through DQS.
func dqsWorld(t *testing.T, listed bool) string {
	t.Helper()
	srv := worldServer(t, false)
	zen, dbl := testDQSKey+".zen.dq.spamhaus.net.", testDQSKey+".dbl.dq.spamhaus.net."
	lines := []string{"2.0.0.127." + zen + " 60 IN A 127.0.0.2", "dbltest.com." + dbl + " 60 IN A 127.0.1.2"}
	if listed {
		lines = append(lines, "10.2.0.192."+zen+" 60 IN A 127.0.0.2")
	}
	for _, l := range lines {
		if err := srv.AddRecord(l); err != nil {
			t.Fatal(err)
		}
	}
	return srv.Addr
}

func assertNoDQSKey(t *testing.T, texts ...string) {
	t.Helper()
	if all := strings.ToLower(strings.Join(texts, "\n")); strings.Contains(all, testDQSKey) {
		t.Fatalf("the DQS key is shown:\n%s", all)
	}
}

func TestCheckWithADQSKeyAsksDQSAndNeverShowsTheKey(t *testing.T) {
	for _, how := range []string{"flag", "env"} {
		t.Run(how, func(t *testing.T) {
			var env []string
			args := checkArgs(dqsWorld(t, true), "--dkim-key", keyFile, "-v")
			if how == "flag" {
				args = append(args, "--dqs-key", testDQSKey)
			} else {
				env = []string{envDQSKey + "=" + strings.ToUpper(testDQSKey)}
			}
			code, out, stderr := run(t, env, args...)
			if code != ExitFailed || !strings.Contains(out, "Spamhaus ZEN (DQS)") || !strings.Contains(out, "****.zen.dq.spamhaus.net") {
				t.Fatalf("exit %d, want 1 with a ZEN (DQS) listing and masked query names:\n%s\n%s", code, out, stderr)
			}
			assertNoDQSKey(t, out, stderr)
			code, out, stderr = run(t, env, append(args, "--format", "json")...)
			if code != ExitFailed || !strings.Contains(out, `"blocklist.ip"`) {
				t.Fatalf("json: exit %d\n%.300s", code, out)
			}
			assertNoDQSKey(t, out, stderr)
		})
	}
	// Clean through DQS: the IP check passes, nothing is asked of the
	// public Spamhaus zones (they are absent from this world and would
	// make the check an error).
	code, out, _ := run(t, nil, checkArgs(dqsWorld(t, false), "--dkim-key", keyFile, "--dqs-key", testDQSKey)...)
	if code != ExitOK || !strings.Contains(out, "blocklist.ip") {
		t.Fatalf("clean through DQS: exit %d\n%s", code, out)
	}
	assertNoDQSKey(t, out)
}

func TestMalformedDQSKeyIsAUsageErrorThatDoesNotRepeatIt(t *testing.T) {
	bad := "not-a-key-but-a-secret-all-the-same"
	code, out, stderr := run(t, []string{envDQSKey + "=" + bad}, checkArgs(world(t, false))...)
	if code != ExitError || !strings.Contains(stderr, "want 26 letters and digits") || strings.Contains(out+stderr, bad) {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// The workbench takes the key from the profile (dqs_key) unless the flag
// or the environment gives one; its checks ask DQS and its resolvers mask
// the key.
func TestWorkbenchBenchUsesTheProfilesDQSKey(t *testing.T) {
	addr := dqsWorld(t, true)
	g := &globals{io: IO{Env: nil}, resolver: addr, timeout: 2 * time.Second}
	p := profile.Profile{From: "alice@example.com", IPs: []string{"192.0.2.10"}, HELO: "mail.example.com", DQSKey: testDQSKey}
	bench, err := profileBench(g, p)
	if err != nil {
		t.Fatal(err)
	}
	r, err := bench.Resolver()
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := bench.Evidence(context.Background())
	var ipCheck []scoring.Check
	for _, c := range bench.Checks() {
		if c.ID == "blocklist.ip" {
			ipCheck = append(ipCheck, c)
		}
	}
	res := scoring.RunAll(context.Background(), &scoring.Env{Evidence: ev, DNS: r}, ipCheck)[0]
	if res.Status != scoring.Fail || !strings.Contains(res.Title, "Spamhaus ZEN (DQS)") {
		t.Fatalf("workbench blocklist.ip: %v %s\n%s", res.Status, res.Title, res.Detail)
	}
	b, _ := json.Marshal(struct {
		R scoring.Result
		L any
	}{res, r.Log()})
	assertNoDQSKey(t, string(b), res.Detail)

	p.DQSKey = "short"
	if _, err := profileBench(g, p); err == nil || strings.Contains(err.Error(), "short") {
		t.Errorf("malformed profile key: %v", err)
	}
}

// receive asks DBL through DQS for the From domain of what it receives,
// and its JSON line names the DQS list without the key.
func TestReceiveUsesTheDQSKey(t *testing.T) {
	srv := worldServer(t, false)
	dbl := testDQSKey + ".dbl.dq.spamhaus.net."
	for _, l := range []string{"dbltest.com." + dbl + " 60 IN A 127.0.1.2", "example.com." + dbl + " 60 IN A 127.0.1.2",
		"2.0.0.127." + testDQSKey + ".zen.dq.spamhaus.net. 60 IN A 127.0.0.2"} {
		if err := srv.AddRecord(l); err != nil {
			t.Fatal(err)
		}
	}
	r := startReceive(t, []string{envDQSKey + "=" + testDQSKey}, "receive", "--listen", "127.0.0.1:0", "--resolver", srv.Addr,
		"--format", "json", "--domain", "example.org")
	if _, err := sendTo(t, r.addr, "bob@example.org", goodMessage(t)); err != nil {
		t.Fatal(err)
	}
	r.stop(t)
	out := r.out.String()
	if !strings.Contains(out, "Spamhaus DBL (DQS)") || !strings.Contains(out, "****.dbl.dq.spamhaus.net") {
		t.Errorf("receive line does not show the DQS listing:\n%.1500s", out)
	}
	assertNoDQSKey(t, out, r.err.String())
}

// send scores with its Bench's checks: the Spamhaus lists through DQS
// when a key is given, as check and the workbench do.
func TestSendScoresThroughDQS(t *testing.T) {
	srv, ca, _ := submission(t, nil)
	code, out, stderr := run(t, nil, sendArgs(dqsWorld(t, true), srv.Addr(), ca, "--yes", "--auth-password-file", passwordFile(t), "--dqs-key", testDQSKey, "-v")...)
	if code != ExitFailed || !strings.Contains(out, "Spamhaus ZEN (DQS)") {
		t.Fatalf("exit %d, want 1 with a ZEN (DQS) listing:\n%s\n%s", code, out, stderr)
	}
	assertNoDQSKey(t, out, stderr)
}
