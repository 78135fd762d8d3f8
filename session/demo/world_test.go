package demo

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/compose"
	"github.com/mailcred/mailcred/session/explain"
	"github.com/mailcred/mailcred/session/sign"
	"github.com/mailcred/mailcred/session/smtpc"
	"github.com/mailcred/mailcred/session/smtptest"
)

func TestStartRefusesAnUnknownScenario(t *testing.T) {
	_, err := Start(context.Background(), Options{Scenario: "nope", KeyGen: testKeys.get})
	if !errors.Is(err, ErrUnknownScenario) || !strings.Contains(err.Error(), "spf-lookups") {
		t.Fatalf("err = %v, want ErrUnknownScenario naming the scenarios", err)
	}
}

func TestApplyRefusesWhatItCannotDo(t *testing.T) {
	w, clk := startWorld(t, ScenarioStory)
	tests := []struct {
		name string
		id   string
		want error
	}{
		{"an unknown id", "spf.magic", ErrUnknownFix},
		{"a fix whose problem is absent", "resolver.local", ErrApplied},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := w.Apply(tc.id); !errors.Is(err, tc.want) {
				t.Fatalf("Apply(%s) = %v, want %v", tc.id, err, tc.want)
			}
		})
	}
	if err := w.Apply("spf.publish"); err != nil {
		t.Fatal(err)
	}
	if err := w.Apply("spf.publish"); !errors.Is(err, ErrPending) {
		t.Fatalf("applying a pending fix again: %v, want ErrPending", err)
	}
	clk.Advance(testPropagation)
	if err := w.Apply("spf.publish"); !errors.Is(err, ErrApplied) {
		t.Fatalf("applying an applied fix again: %v, want ErrApplied", err)
	}
	if err := w.FileDelist("gmx"); !errors.Is(err, ErrUnknownFix) {
		t.Fatalf("FileDelist(gmx) = %v, want ErrUnknownFix", err)
	}
	if err := w.FileDelist("outlook"); err != nil {
		t.Fatal(err)
	}
	if f := fixByID(t, w, "outlook.delist"); f.State != FixPending || !f.EffectiveAt.Equal(clk.Now().Add(testRamp)) {
		t.Fatalf("outlook.delist after FileDelist: %s until %s", f.State, f.EffectiveAt)
	}
	if _, err := w.Mailbox("yahoo"); !errors.Is(err, ErrUnknownProvider) {
		t.Fatalf("Mailbox(yahoo) = %v", err)
	}
	if _, err := w.SMTPPort("yahoo"); !errors.Is(err, ErrUnknownProvider) {
		t.Fatalf("SMTPPort(yahoo) = %v", err)
	}
	w.Close()
	if err := w.Apply("dkim.publish"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Apply after Close = %v, want ErrClosed", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	drained := make(chan struct{})
	go func() {
		for range w.Events() { // what was buffered, then the close
		}
		close(drained)
	}()
	select {
	case <-drained:
	case <-time.After(5 * time.Second):
		t.Fatal("Events is not closed after Close")
	}
}

// TestChangesTakeEffectOnTheirOwn runs on the real clock with short delays:
// nobody calls the world, yet the background loop publishes the record
// and says so on Events.
func TestChangesTakeEffectOnTheirOwn(t *testing.T) {
	before := numGoroutines()
	w, err := Start(context.Background(), Options{Scenario: ScenarioStory, Propagation: 50 * time.Millisecond,
		KeyGen: testKeys.get})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		w.Close()
		noLeaks(t, before)
	}()
	if err := w.Apply("spf.publish"); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e := <-w.Events():
			if e.Kind != EventEffective {
				continue
			}
			if e.Fix != "spf.publish" {
				t.Fatalf("unexpected %+v", e)
			}
			r, err := w.Resolver()
			if err != nil {
				t.Fatal(err)
			}
			if txt := r.Lookup(context.Background(), "example.com", dnsx.TypeTXT).JoinedTXT(); len(txt) != 1 || !strings.HasPrefix(txt[0], "v=spf1") {
				t.Fatalf("TXT example.com after the event: %q", txt)
			}
			return
		case <-timeout:
			t.Fatalf("no effective event; log: %v", w.Log())
		}
	}
}

func TestSenderNeverPrintsTheKey(t *testing.T) {
	w, _ := startWorld(t, ScenarioWeakDKIM)
	s := w.Sender()
	key := s.Key.(*rsa.PrivateKey)
	out := fmt.Sprintf("%v %+v %#v %s", s, s, s, s)
	if strings.Contains(out, key.D.String()) || strings.Contains(out, key.Primes[0].String()) || strings.Contains(out, key.N.String()) {
		t.Fatal("printing a Sender shows key material")
	}
	if !strings.Contains(out, "RSA-1024(redacted)") {
		t.Fatalf("printed sender: %s", out)
	}
	for _, e := range w.Log() {
		if strings.Contains(e.Text, key.D.String()) {
			t.Fatal("an event holds key material")
		}
	}
}

// TestPresenterBreaksGmailWithIPv6: in a healthy world, turning IPv6 on
// (no IPv6 PTR) makes Gmail refuse at RCPT; turning it off again heals it.
func TestPresenterBreaksGmailWithIPv6(t *testing.T) {
	w, _ := startWorld(t, ScenarioPublicResolver)
	kb := loadKB(t)
	expectAccepted(t, w, ProviderGmail)
	if err := w.SetIPv6(true); err != nil {
		t.Fatal(err)
	}
	expectRefusal(t, kb, w, ProviderGmail, refusal{smtpx.RCPT, 550, "5.7.1", "[2001:db8::25]", "gmail.ipv6-guidelines"})
	if err := w.SetIPv6(false); err != nil {
		t.Fatal(err)
	}
	expectAccepted(t, w, ProviderGmail)
	if !logHas(w, "IPv6 sending turned on: receivers now see mail from 2001:db8::25") {
		t.Errorf("no event for the switch: %v", w.Log())
	}
}

// TestAPlainSessionReachesTheProviders does what the TUI's own session
// will: compose, sign with the world's key, find the MX in the world DNS,
// and deliver with smtpc to the provider's port standing in for 25. A
// receiving MX never relays.
func TestAPlainSessionReachesTheProviders(t *testing.T) {
	w, _ := startWorld(t, ScenarioBlocklisted)
	ctx := context.Background()
	sender := w.Sender()
	gmail, err := w.Provider(ProviderGmail)
	if err != nil {
		t.Fatal(err)
	}
	r, err := w.Resolver()
	if err != nil {
		t.Fatal(err)
	}
	mx := r.Lookup(ctx, gmail.Domain, dnsx.TypeMX).MXs()
	if len(mx) != 1 || mx[0].Host != gmail.MXHost+"." {
		t.Fatalf("MX of %s: %v", gmail.Domain, mx)
	}
	addrs, _ := r.LookupAddrs(ctx, gmail.MXHost)
	if len(addrs) != 1 || addrs[0].String() != "127.0.0.1" {
		t.Fatalf("address of %s: %v", gmail.MXHost, addrs)
	}
	port, err := w.SMTPPort(ProviderGmail)
	if err != nil || port == 0 || gmail.Addr != net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) {
		t.Fatalf("port %d, addr %s: %v", port, gmail.Addr, err)
	}
	draft := compose.Message{From: sender.FromAddress(), To: []mail.Address{{Address: gmail.Recipient}}, Subject: "plain", Body: "hi\n"}
	raw, err := draft.Render(time.Now(), sender.Domain)
	if err != nil {
		t.Fatal(err)
	}
	signed, _, err := sign.Sign(raw, sign.Options{Domain: sender.Domain, Selector: sender.Selector, Key: sender.Key})
	if err != nil {
		t.Fatal(err)
	}
	opts := smtpc.Options{Addr: net.JoinHostPort(addrs[0].String(), strconv.Itoa(port)), ServerName: gmail.MXHost,
		HELO: sender.HELO, RootCAs: w.CertPool(), RequireVerifiedTLS: true}
	d, err := smtpc.Deliver(ctx, opts, smtpc.Envelope{From: sender.From, To: []string{gmail.Recipient}}, signed)
	if err != nil {
		t.Fatal(err)
	}
	if d.TLS == nil || !d.TLS.Verified {
		t.Errorf("TLS: %+v", d.TLS)
	}
	box, _ := w.Mailbox(ProviderGmail)
	if len(box) != 1 || box[0].Folder != "inbox" || box[0].SourceIP != sender.SourceIP() || box[0].MailFrom != sender.From {
		t.Errorf("Gmail's mailbox: %+v", box)
	}

	_, err = smtpc.Deliver(ctx, opts, smtpc.Envelope{From: sender.From, To: []string{"someone@elsewhere.example"}}, signed)
	var re *smtpc.ReplyError
	if !errors.As(err, &re) || re.Stage != smtpx.RCPT || re.Reply.Code != 550 {
		t.Fatalf("relaying: %v", err)
	}
}

// TestReplyTableIsExplained: every provider reply is recognised by
// session/explain as the entry of the same id, except the two the
// knowledge base has no entry for.
func TestReplyTableIsExplained(t *testing.T) {
	kb := loadKB(t)
	unknownToKB := map[string]bool{"outlook.spamhaus": true, "relay-denied": true}
	stages := map[string]smtpx.Stage{}
	for _, p := range providerTable() {
		for _, r := range p.rules {
			stages[r.reply] = r.stage
		}
	}
	for id, text := range replyTable() {
		t.Run(id, func(t *testing.T) {
			st, used := stages[id]
			if !used {
				t.Fatalf("no provider gives %s", id)
			}
			r := text.render(map[string]string{"ip": "192.0.2.25", "domain": "example.com", "rcpt": "x@y.example", "ref": "0123"})
			ex := kb.Explain(explain.Reply{Lines: lines(onTheWire(r))}, st)
			switch {
			case unknownToKB[id] && ex.EntryID != "":
				t.Errorf("explained as %s: remove it from unknownToKB", ex.EntryID)
			case !unknownToKB[id] && ex.EntryID != id:
				t.Errorf("explained as %q, want %q:\n%s", ex.EntryID, id, onTheWire(r))
			}
			if text.source == "" {
				t.Error("no source")
			}
		})
	}
}

// onTheWire lays a reply out as go-smtp and smtptest send it.
func onTheWire(r *smtptest.Reply) string {
	var b strings.Builder
	for i, l := range r.Lines {
		sep := "-"
		if i == len(r.Lines)-1 {
			sep = " "
			if r.Enhanced != "" {
				l = r.Enhanced + " " + l
			}
		}
		fmt.Fprintf(&b, "%d%s%s\n", r.Code, sep, l)
	}
	return b.String()
}

// What the demo shows for spf.flatten is the engine's spf.lookups fix, and
// applying it publishes exactly those records.
func TestFlattenShownIsTheEnginesFixAndIsWhatIsApplied(t *testing.T) {
	w, clk := startWorld(t, ScenarioSPFLookups)
	shown := fixByID(t, w, "spf.flatten").Records
	results, _ := checkCatalogue(t, w)
	engine := results["spf.lookups"].Fix
	if engine == nil || !slices.EqualFunc(shown, engine.Records, func(a, b scoring.DNSRecord) bool { return a.ZoneLine() == b.ZoneLine() }) {
		t.Fatalf("shown %+v\nengine %+v", shown, engine)
	}
	if len(shown) == 0 || strings.Count(shown[0].Value, "include:") != 0 {
		t.Fatalf("not flattened: %+v", shown)
	}
	apply(t, w, clk, "spf.flatten", testPropagation)
	for _, rec := range shown {
		var got []string
		for _, rr := range w.dns.Records(rec.Name) {
			if txt, ok := rr.(*dns.TXT); ok {
				got = append(got, strings.Join(txt.Txt, ""))
			}
		}
		if !slices.Contains(got, rec.Value) {
			t.Errorf("%s: published %q, shown %q", rec.Name, got, rec.Value)
		}
	}
}

func TestDraftFollowsTheToFix(t *testing.T) {
	w, clk := startWorld(t, ScenarioStory)
	d := w.Draft()
	if !d.Omit["To"] || d.From.Address != "you@example.com" {
		t.Fatalf("story draft: %+v", d)
	}
	raw, err := d.Render(clk.Now(), "example.com")
	if err != nil || strings.Contains(string(raw), "\r\nTo:") {
		t.Fatalf("story draft renders a To: (%v):\n%s", err, raw)
	}
	apply(t, w, clk, "draft.to", 0)
	if d := w.Draft(); d.Omit["To"] {
		t.Fatalf("draft after draft.to: %+v", d)
	}
}

func TestScenariosAreListedWithTheirFixes(t *testing.T) {
	all := Scenarios()
	if len(all) != 5 || all[0].Name != ScenarioStory {
		t.Fatalf("scenarios: %+v", all)
	}
	for _, s := range all {
		if s.Title == "" || s.Problem == "" || len(s.Fixes) == 0 {
			t.Errorf("%s: incomplete %+v", s.Name, s)
		}
		for _, id := range s.Fixes {
			if _, ok := findFix(id); !ok {
				t.Errorf("%s lists unknown fix %s", s.Name, id)
			}
		}
	}
	all[0].Fixes[0] = "changed"
	if Scenarios()[0].Fixes[0] == "changed" {
		t.Error("Scenarios shares its slices")
	}
}

// In every scenario, each DNS fix publishes exactly the records the fix
// list showed before it was applied: what is shown is what `a` applies.
func TestEveryDNSFixPublishesWhatItShowed(t *testing.T) {
	checked := 0
	defer func() {
		if checked < 5 {
			t.Errorf("only %d shown records checked", checked)
		}
	}()
	for _, scen := range []string{ScenarioStory, ScenarioSPFLookups, ScenarioWeakDKIM, ScenarioBlocklisted, ScenarioPublicResolver} {
		t.Run(scen, func(t *testing.T) {
			w, clk := startWorld(t, scen)
			for _, f := range w.Fixes() {
				if f.Kind != KindDNS || f.State != FixAvailable {
					continue
				}
				shown := f.Records
				apply(t, w, clk, f.ID, testPropagation)
				for _, rec := range shown {
					var got []string
					for _, rr := range w.dns.Records(rec.Name) {
						switch rr := rr.(type) {
						case *dns.TXT:
							got = append(got, strings.Join(rr.Txt, ""))
						case *dns.PTR:
							got = append(got, rr.Ptr)
						}
					}
					checked++
					if !slices.Contains(got, rec.Value) {
						t.Errorf("%s: %s shown %q, published %q", f.ID, rec.Name, rec.Value, got)
					}
				}
			}
		})
	}
}
