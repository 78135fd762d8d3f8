package spf

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

// countingZone holds the records of the hand-made counting tests. The
// client is 192.0.2.99, which no record authorises unless a test says so.
const countingZone = `
$ORIGIN example.com.
chain3          TXT "v=spf1 include:l1.example.com -all"
l1              TXT "v=spf1 include:l2.example.com -all"
l2              TXT "v=spf1 include:l3.example.com -all"
l3              TXT "v=spf1 a -all"
l3              A   198.51.100.3

mx5             TXT "v=spf1 mx -all"
mx5             MX  10 m1.example.com.
mx5             MX  20 m2.example.com.
mx5             MX  30 m3.example.com.
mx5             MX  40 m4.example.com.
mx5             MX  50 gone.example.com.
m1              A   198.51.100.11
m2              A   198.51.100.12
m3              A   198.51.100.13
m4              A   192.0.2.99

mx11names       TXT "v=spf1 mx -all"
mx11names       MX  1 m1.example.com.
mx11names       MX  2 m1.example.com.
mx11names       MX  3 m1.example.com.
mx11names       MX  4 m1.example.com.
mx11names       MX  5 m1.example.com.
mx11names       MX  6 m1.example.com.
mx11names       MX  7 m1.example.com.
mx11names       MX  8 m1.example.com.
mx11names       MX  9 m1.example.com.
mx11names       MX  10 m1.example.com.
mx11names       MX  11 m2.example.com.

mxno            MX  10 m1.example.com.
mx10terms       TXT "v=spf1 mx:mxno.example.com mx:mxno.example.com mx:mxno.example.com mx:mxno.example.com mx:mxno.example.com mx:mxno.example.com mx:mxno.example.com mx:mxno.example.com mx:mxno.example.com mx:mxno.example.com ip4:192.0.2.99 -all"
mx11terms       TXT "v=spf1 mx:mxno.example.com mx:mxno.example.com mx:mxno.example.com mx:mxno.example.com mx:mxno.example.com mx:mxno.example.com mx:mxno.example.com mx:mxno.example.com mx:mxno.example.com mx:mxno.example.com mx:mxno.example.com ip4:192.0.2.99 -all"

void2           TXT "v=spf1 a:nx1.example.com mx:m1.example.com ip4:192.0.2.99 -all"
void3           TXT "v=spf1 a:nx1.example.com a:nx2.example.com mx:m1.example.com ip4:192.0.2.99 -all"
voidmxhosts     TXT "v=spf1 mx:deadmx.example.com a:nx1.example.com ip4:192.0.2.99 -all"
deadmx          MX  10 nx1.example.com.
deadmx          MX  20 nx2.example.com.
deadmx          MX  30 nx3.example.com.
voidexp         TXT "v=spf1 a:nx1.example.com a:nx2.example.com -all exp=nx3.example.com"
voidptr         TXT "v=spf1 ptr:nxhost.example.com a:nx1.example.com ip4:192.0.2.99 -all"

failcount       TXT "v=spf1 a mx exists:nx9.example.com include:l3.example.com -all"
failcount       A   198.51.100.1

redirect        TXT "v=spf1 ip4:198.51.100.0/24 redirect=target.example.com"
target          TXT "v=spf1 a mx -all"
target          A   198.51.100.7

exists          TXT "v=spf1 exists:%{ir}.allow.example.com -all"
99.2.0.192.allow A  127.0.0.2

ptr             TXT "v=spf1 ptr -all"
99.2.0.192.in-addr.arpa. PTR host.ptr.example.com.
99.2.0.192.in-addr.arpa. PTR nxhost.example.com.
host.ptr        A   192.0.2.99

free            TXT "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 all"

loop            TXT "v=spf1 include:loop2.example.com -all"
loop2           TXT "v=spf1 include:loop.example.com -all"

dup             TXT "v=spf1 include:l3.example.com include:sub.example.com -all"
sub             TXT "v=spf1 include:l3.example.com -all"

pmacro          TXT "v=spf1 exists:%{p}.allow.example.com -all"
host.ptr.example.com.allow A 127.0.0.2

early           TXT "v=spf1 ip4:192.0.2.99 include:l1.example.com mx -all"
`

var client = netip.MustParseAddr("192.0.2.99")

func TestLookupCounting(t *testing.T) {
	w := newWorld(t, countingZone)
	tests := []struct {
		name          string
		domain        string
		want          Result
		lookups, void int
		check         func(t *testing.T, ev *Evaluation)
	}{
		{name: "include chain of depth 3 counts 4 lookups", domain: "chain3.example.com", want: Fail, lookups: 4,
			check: func(t *testing.T, ev *Evaluation) {
				// The tree carries the counts per record.
				n := ev.Tree
				for depth, want := range []int{4, 3, 2, 1} {
					if n.TotalLookups != want || n.Lookups != 1 {
						t.Errorf("depth %d (%s): lookups %d total %d, want 1 and %d", depth, n.Domain, n.Lookups, n.TotalLookups, want)
					}
					if depth < 3 {
						n = n.Terms[0].Child
					}
				}
			}},
		{name: "mx counts 1 lookup; its 5 names are not counted", domain: "mx5.example.com", want: Pass, lookups: 1,
			check: func(t *testing.T, ev *Evaluation) {
				if got := ev.Tree.Terms[0].Names; len(got) != 4 {
					t.Errorf("names looked at %v: want the 4 up to the match", got)
				}
			}},
		{name: "mx with 11 MX names is a permerror", domain: "mx11names.example.com", want: PermError, lookups: 1},
		{name: "10 mx terms stay within the limit", domain: "mx10terms.example.com", want: Pass, lookups: 10},
		{name: "11 mx terms exceed the limit", domain: "mx11terms.example.com", want: PermError, lookups: 11},
		{name: "two void lookups are allowed", domain: "void2.example.com", want: Pass, lookups: 2, void: 2},
		{name: "a third void lookup is a permerror", domain: "void3.example.com", want: PermError, lookups: 3, void: 3},
		{name: "MX host names that do not exist are not void lookups", domain: "voidmxhosts.example.com", want: Pass, lookups: 2, void: 1},
		{name: "exp= lookups are neither lookups nor void", domain: "voidexp.example.com", want: Fail, lookups: 2, void: 2,
			check: func(t *testing.T, ev *Evaluation) {
				if ev.FromExp {
					t.Errorf("explanation from a missing exp= record: %q", ev.Explanation)
				}
			}},
		{name: "ptr forward lookups are not void lookups", domain: "voidptr.example.com", want: Pass, lookups: 2, void: 1},
		{name: "lookups still counted when result is a fail", domain: "failcount.example.com", want: Fail, lookups: 5, void: 2},
		{name: "redirect counts one lookup", domain: "redirect.example.com", want: Fail, lookups: 3, void: 1,
			check: func(t *testing.T, ev *Evaluation) {
				last := ev.Tree.Terms[len(ev.Tree.Terms)-1]
				if !last.Lookup || last.Child == nil || last.Child.Domain != "target.example.com" {
					t.Errorf("redirect term %+v", last)
				}
				if ev.Tree.Lookups != 1 || ev.Tree.TotalLookups != 3 {
					t.Errorf("root lookups %d total %d, want 1 and 3", ev.Tree.Lookups, ev.Tree.TotalLookups)
				}
			}},
		{name: "exists counts one lookup", domain: "exists.example.com", want: Pass, lookups: 1,
			check: func(t *testing.T, ev *Evaluation) {
				if tgt := ev.Tree.Terms[0].Target; tgt != "99.2.0.192.allow.example.com" {
					t.Errorf("target %q", tgt)
				}
			}},
		{name: "ptr counts one lookup", domain: "ptr.example.com", want: Pass, lookups: 1},
		{name: "all ip4 ip6 cost nothing", domain: "free.example.com", want: Pass, lookups: 0},
		{name: "include loop is a permerror naming the loop", domain: "loop.example.com", want: PermError, lookups: 2,
			check: func(t *testing.T, ev *Evaluation) {
				if !strings.Contains(ev.Explanation, "loop.example.com → loop2.example.com → loop.example.com") {
					t.Errorf("explanation %q", ev.Explanation)
				}
			}},
		{name: "%{p} PTR lookups are not counted", domain: "pmacro.example.com", want: Pass, lookups: 1},
		{name: "evaluation stops counting at the first match", domain: "early.example.com", want: Pass, lookups: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := Evaluate(context.Background(), w.fresh(t), client, "user@"+tc.domain, "mail.example.com")
			if ev.Result != tc.want || ev.Lookups != tc.lookups || ev.VoidLookups != tc.void {
				t.Errorf("got %s lookups=%d void=%d, want %s lookups=%d void=%d (%s)\n%s",
					ev.Result, ev.Lookups, ev.VoidLookups, tc.want, tc.lookups, tc.void, ev.Explanation, dumpTree(ev.Tree, ""))
			}
			if tc.check != nil {
				tc.check(t, ev)
			}
		})
	}
}

// TestMXAddressLookups checks on the wire that the address lookups of an
// mx mechanism happen (one per MX name, up to the match) yet count once.
func TestMXAddressLookups(t *testing.T) {
	w := newWorld(t, countingZone)
	ev := Evaluate(context.Background(), w.r, client, "user@mx5.example.com", "")
	if ev.Result != Pass || ev.Lookups != 1 {
		t.Fatalf("got %s with %d lookups", ev.Result, ev.Lookups)
	}
	var aQueries []string
	for _, q := range w.srv.Log() {
		if q.Qtype == dns.TypeA {
			aQueries = append(aQueries, q.Name)
		}
	}
	want := "m1.example.com. m2.example.com. m3.example.com. m4.example.com."
	if got := strings.Join(aQueries, " "); got != want {
		t.Errorf("A queries %q, want %q", got, want)
	}
}

// TestPTRNameLimit checks that only the first 10 PTR names are used
// (RFC 7208 §4.6.4) and that this is no error.
func TestPTRNameLimit(t *testing.T) {
	var zone strings.Builder
	zone.WriteString("ptr11.example.com. TXT \"v=spf1 ptr:good.example.com -all\"\n")
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&zone, "99.2.0.192.in-addr.arpa. PTR h%d.other.example.com.\nh%d.other.example.com. A 192.0.2.99\n", i, i)
	}
	zone.WriteString("99.2.0.192.in-addr.arpa. PTR h.good.example.com.\nh.good.example.com. A 192.0.2.99\n")
	w := newWorld(t, zone.String())
	ev := Evaluate(context.Background(), w.r, client, "user@ptr11.example.com", "")
	if ev.Result != Fail || ev.Lookups != 1 {
		t.Fatalf("got %s (%d lookups), want fail: the 11th name must be ignored\n%s", ev.Result, ev.Lookups, dumpTree(ev.Tree, ""))
	}
	if n := len(ev.Tree.Terms[0].Names); n != 10 {
		t.Errorf("%d PTR names looked at, want 10", n)
	}
}

// TestInspectCountsWholeTree checks the linter's view: every term of every
// record, even after a match and past the limit.
func TestInspectCountsWholeTree(t *testing.T) {
	w := newWorld(t, countingZone)
	tests := []struct {
		domain        string
		lookups, void int
		result        Result
		problem       string
	}{
		{"early.example.com", 5, 1, "", ""},
		{"mx11terms.example.com", 11, 0, PermError, ""},
		{"void3.example.com", 3, 3, PermError, ""},
		{"loop.example.com", 2, 0, PermError, "loop"},
		{"dup.example.com", 5, 0, "", "more than once"},
		{"ptr.example.com", 1, 0, "", "ptr mechanism"},
	}
	for _, tc := range tests {
		t.Run(tc.domain, func(t *testing.T) {
			a := Inspect(context.Background(), w.fresh(t), tc.domain, client, "")
			if a.Lookups != tc.lookups || a.VoidLookups != tc.void || a.Result != tc.result {
				t.Errorf("lookups=%d void=%d result=%q (%s), want %d %d %q\n%s", a.Lookups, a.VoidLookups, a.Result, a.Error,
					tc.lookups, tc.void, tc.result, dumpTree(a.Tree, ""))
			}
			if tc.problem != "" && !strings.Contains(strings.Join(a.Problems, "\n"), tc.problem) {
				t.Errorf("problems %q, want one about %q", a.Problems, tc.problem)
			}
			if a.Tree.TotalLookups != a.Lookups {
				t.Errorf("tree total %d != %d", a.Tree.TotalLookups, a.Lookups)
			}
		})
	}
}
