package dnsx_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/spf"
)

// The hostile corpus for the resolver: servers that answer another
// question, another ID, another name, loop, or play games with size. Each
// case says what the lookup must come to; a forged answer must never be
// taken as the truth.

func hostile(t *testing.T, reply dnstest.Replier) (*dnstest.Hostile, *dnsx.Resolver) {
	t.Helper()
	h, err := dnstest.StartHostile(reply)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	r, err := dnsx.New(dnsx.Config{Servers: []string{h.Addr}, Timeout: 300 * time.Millisecond, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	return h, r
}

func txt(owner, text string) dns.RR {
	return dnstest.RR(fmt.Sprintf("%s 300 IN TXT %q", owner, text))
}

const honest = "v=spf1 -all"
const forged = "v=spf1 +all"

func TestForgedRepliesAreDroppedAndTheRightOneTaken(t *testing.T) {
	for _, tc := range []struct {
		name  string
		forge func(q *dns.Msg) *dns.Msg
	}{
		{"wrong ID", func(q *dns.Msg) *dns.Msg {
			m := dnstest.Reply(q)
			m.Id = q.Id + 1
			m.Answer = []dns.RR{txt(q.Question[0].Name, forged)}
			return m
		}},
		{"another name", func(q *dns.Msg) *dns.Msg {
			m := dnstest.Reply(q)
			m.Question[0].Name = "attacker.example."
			m.Answer = []dns.RR{txt("attacker.example.", forged)}
			return m
		}},
		{"another type", func(q *dns.Msg) *dns.Msg {
			m := dnstest.Reply(q)
			m.Question[0].Qtype = dns.TypeSPF
			m.Answer = []dns.RR{txt(q.Question[0].Name, forged)}
			return m
		}},
		{"another class", func(q *dns.Msg) *dns.Msg {
			m := dnstest.Reply(q)
			m.Question[0].Qclass = dns.ClassCHAOS
			m.Answer = []dns.RR{txt(q.Question[0].Name, forged)}
			return m
		}},
		{"owner off the question", func(q *dns.Msg) *dns.Msg {
			m := dnstest.Reply(q)
			m.Answer = []dns.RR{txt("attacker.example.", forged)}
			return m
		}},
		{"not a response", func(q *dns.Msg) *dns.Msg {
			m := dnstest.Reply(q)
			m.Response = false
			m.Answer = []dns.RR{txt(q.Question[0].Name, forged)}
			return m
		}},
		{"no question", func(q *dns.Msg) *dns.Msg {
			m := dnstest.Reply(q)
			m.Question = nil
			m.Answer = []dns.RR{txt("example.com.", forged)}
			return m
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The forgery arrives first, then the server's real reply.
			_, r := hostile(t, func(q *dns.Msg, udp bool) []*dns.Msg {
				m := dnstest.Reply(q)
				m.Answer = []dns.RR{txt(q.Question[0].Name, honest)}
				return []*dns.Msg{tc.forge(q), m}
			})
			ans := r.Lookup(context.Background(), "example.com", dns.TypeTXT)
			if ans.Outcome != dnsx.Success || strings.Join(ans.JoinedTXT(), "|") != honest {
				t.Fatalf("got %s %q (err %v), want the honest %q", ans.Outcome, ans.JoinedTXT(), ans.Err, honest)
			}
		})
		t.Run(tc.name+" alone", func(t *testing.T) {
			_, r := hostile(t, func(q *dns.Msg, udp bool) []*dns.Msg { return []*dns.Msg{tc.forge(q)} })
			ans := r.Lookup(context.Background(), "example.com", dns.TypeTXT)
			if !ans.Outcome.Temporary() || len(ans.Records) != 0 {
				t.Fatalf("got %s %q, want could-not-check with no records", ans.Outcome, ans.JoinedTXT())
			}
		})
	}
}

func TestMismatchOverTCPIsAnError(t *testing.T) {
	_, r := hostile(t, func(q *dns.Msg, udp bool) []*dns.Msg {
		m := dnstest.Reply(q)
		if udp {
			m.Truncated = true
			return []*dns.Msg{m}
		}
		m.Answer = []dns.RR{txt("attacker.example.", forged)}
		return []*dns.Msg{m}
	})
	ans := r.Lookup(context.Background(), "example.com", dns.TypeTXT)
	if ans.Outcome != dnsx.Failure || !strings.Contains(fmt.Sprint(ans.Err), "attacker.example") {
		t.Fatalf("got %s (err %v), want a failure naming the wrong owner", ans.Outcome, ans.Err)
	}
}

func TestCNAMEChainInOneReplyIsChecked(t *testing.T) {
	_, r := hostile(t, func(q *dns.Msg, udp bool) []*dns.Msg {
		m := dnstest.Reply(q)
		// 0x20-style case changes are still the same names.
		m.Question[0].Name = "ExAmple.COM."
		m.Answer = []dns.RR{
			dnstest.RR("Example.com. 300 IN CNAME a.example.net."),
			dnstest.RR("a.example.net. 300 IN CNAME B.example.net."),
			txt("b.EXAMPLE.net.", honest),
		}
		return []*dns.Msg{m}
	})
	ans := r.Lookup(context.Background(), "example.com", dns.TypeTXT)
	if ans.Outcome != dnsx.Success || strings.Join(ans.JoinedTXT(), "|") != honest {
		t.Fatalf("got %s %q (err %v)", ans.Outcome, ans.JoinedTXT(), ans.Err)
	}
}

func TestRecordOffTheCNAMEChainIsNotTheAnswer(t *testing.T) {
	_, r := hostile(t, func(q *dns.Msg, udp bool) []*dns.Msg {
		m := dnstest.Reply(q)
		m.Answer = []dns.RR{
			dnstest.RR("example.com. 300 IN CNAME a.example.net."),
			txt("elsewhere.example.net.", forged),
		}
		return []*dns.Msg{m}
	})
	ans := r.Lookup(context.Background(), "example.com", dns.TypeTXT)
	if !ans.Outcome.Temporary() || len(ans.Records) != 0 {
		t.Fatalf("got %s %q, want could-not-check", ans.Outcome, ans.JoinedTXT())
	}
}

func TestCNAMELoopIsCouldNotCheck(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply func(q *dns.Msg) *dns.Msg
	}{
		{"in one reply", func(q *dns.Msg) *dns.Msg {
			m := dnstest.Reply(q)
			m.Answer = []dns.RR{
				dnstest.RR("example.com. 300 IN CNAME a.example.com."),
				dnstest.RR("a.example.com. 300 IN CNAME example.com."),
			}
			return m
		}},
		{"across replies", func(q *dns.Msg) *dns.Msg {
			// Each name's reply holds only its own CNAME, so the resolver
			// asks the target itself and comes back round.
			m := dnstest.Reply(q)
			next := map[string]string{"example.com.": "a.example.com.", "a.example.com.": "b.example.com.", "b.example.com.": "example.com."}
			n := strings.ToLower(q.Question[0].Name)
			m.Answer = []dns.RR{dnstest.RR(n + " 300 IN CNAME " + next[n])}
			return m
		}},
		{"to itself", func(q *dns.Msg) *dns.Msg {
			m := dnstest.Reply(q)
			m.Answer = []dns.RR{dnstest.RR("example.com. 300 IN CNAME example.com.")}
			return m
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, r := hostile(t, func(q *dns.Msg, udp bool) []*dns.Msg { return []*dns.Msg{tc.reply(q)} })
			ans := r.Lookup(context.Background(), "example.com", dns.TypeTXT)
			if ans.Outcome != dnsx.Failure || !ans.Outcome.Temporary() || !strings.Contains(fmt.Sprint(ans.Err), "loop") {
				t.Fatalf("got %s (err %v), want a failure naming the loop (could not check, not no record)", ans.Outcome, ans.Err)
			}
		})
	}
}

func TestOverlongCNAMEChainIsCouldNotCheck(t *testing.T) {
	for _, oneReply := range []bool{true, false} {
		t.Run(fmt.Sprintf("one reply %v", oneReply), func(t *testing.T) {
			_, r := hostile(t, func(q *dns.Msg, udp bool) []*dns.Msg {
				m := dnstest.Reply(q)
				name := strings.ToLower(q.Question[0].Name)
				var n int
				fmt.Sscanf(name, "c%d.", &n)
				for i := n; i < 20; i++ {
					m.Answer = append(m.Answer, dnstest.RR(fmt.Sprintf("c%d.example.com. 300 IN CNAME c%d.example.com.", i, i+1)))
					if !oneReply {
						break
					}
				}
				return []*dns.Msg{m}
			})
			ans := r.Lookup(context.Background(), "c0.example.com", dns.TypeTXT)
			if ans.Outcome != dnsx.Failure || !strings.Contains(fmt.Sprint(ans.Err), "longer than") {
				t.Fatalf("got %s (err %v), want a failure: chain too long", ans.Outcome, ans.Err)
			}
		})
	}
}

func TestOversizedUDPWithoutTCFallsBackToTCP(t *testing.T) {
	var tcp atomic.Int32
	_, r := hostile(t, func(q *dns.Msg, udp bool) []*dns.Msg {
		m := dnstest.Reply(q)
		if !udp {
			tcp.Add(1)
		}
		for i := 0; i < 30; i++ {
			m.Answer = append(m.Answer, txt(q.Question[0].Name, fmt.Sprintf("%02d %s", i, strings.Repeat("x", 100))))
		}
		if udp {
			m.Answer = m.Answer[:20] // ~2.4 KB, over the 1232 advertised, and no TC
		}
		return []*dns.Msg{m}
	})
	ans := r.Lookup(context.Background(), "example.com", dns.TypeTXT)
	if ans.Outcome != dnsx.Success || len(ans.Records) != 30 || tcp.Load() != 1 {
		t.Fatalf("got %s with %d records after %d TCP queries (err %v), want all 30 over TCP", ans.Outcome, len(ans.Records), tcp.Load(), ans.Err)
	}
}

func TestTruncationGames(t *testing.T) {
	t.Run("TC with half a record", func(t *testing.T) {
		_, r := hostile(t, func(q *dns.Msg, udp bool) []*dns.Msg {
			m := dnstest.Reply(q)
			m.Answer = []dns.RR{txt(q.Question[0].Name, honest)}
			if udp {
				m.Truncated = true
			}
			return []*dns.Msg{m}
		})
		ans := r.Lookup(context.Background(), "example.com", dns.TypeTXT)
		if ans.Outcome != dnsx.Success {
			t.Fatalf("got %s (err %v)", ans.Outcome, ans.Err)
		}
	})
	t.Run("TC over TCP too", func(t *testing.T) {
		_, r := hostile(t, func(q *dns.Msg, udp bool) []*dns.Msg {
			m := dnstest.Reply(q)
			m.Truncated = true
			return []*dns.Msg{m}
		})
		ans := r.Lookup(context.Background(), "example.com", dns.TypeTXT)
		if ans.Outcome == dnsx.NoData || ans.Outcome == dnsx.NXDomain || ans.Outcome == dnsx.Success {
			t.Fatalf("a reply truncated even over TCP gave %s; it answers nothing", ans.Outcome)
		}
	})
	t.Run("forged TC from another ID", func(t *testing.T) {
		var tcp atomic.Int32
		_, r := hostile(t, func(q *dns.Msg, udp bool) []*dns.Msg {
			if !udp {
				tcp.Add(1)
			}
			bad := dnstest.Reply(q)
			bad.Id++
			bad.Truncated = true
			m := dnstest.Reply(q)
			m.Answer = []dns.RR{txt(q.Question[0].Name, honest)}
			return []*dns.Msg{bad, m}
		})
		ans := r.Lookup(context.Background(), "example.com", dns.TypeTXT)
		if ans.Outcome != dnsx.Success || tcp.Load() != 0 {
			t.Fatalf("got %s after %d TCP queries; a forged TC must not move us", ans.Outcome, tcp.Load())
		}
	})
}

// What the defect looked like to a user: a server answering every
// question with the SPF record of another name ("v=spf1 +all") made SPF
// pass for any IP. Now nothing it says is taken: temperror (could not
// check), never pass.
func TestSPFIsNotPassedByAnAnswerForAnotherName(t *testing.T) {
	_, r := hostile(t, func(q *dns.Msg, udp bool) []*dns.Msg {
		m := dnstest.Reply(q)
		m.Question[0].Name = "attacker.example."
		m.Answer = []dns.RR{txt("attacker.example.", forged)}
		return []*dns.Msg{m}
	})
	ev := spf.Evaluate(context.Background(), r, mustAddr("198.51.100.7"), "bounce@example.com", "mail.example.com")
	if ev.Result != spf.TempError {
		t.Fatalf("SPF %s, want temperror", ev.Result)
	}
}
