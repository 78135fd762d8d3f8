package demo

import (
	"slices"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/smtpx"
)

// TestStoryPlaysToTheEnd plays the demo's story on the hand-driven clock:
// every provider's refusal at the start, then the fixes one by one, each
// refusal disappearing when its cause does (and not before the change has
// propagated), the tester's 7.8/10 on the way, and at the end every
// provider accepting, the tester at 10/10 and the catalogue at 10.
func TestStoryPlaysToTheEnd(t *testing.T) {
	w, clk := startWorld(t, ScenarioStory)
	kb := loadKB(t)

	// The bare VPS: IPv6 on without PTR, nothing published.
	if got := w.SourceIP().String(); got != "2001:db8::25" {
		t.Fatalf("source IP %s, want 2001:db8::25 while IPv6 is on", got)
	}
	expectRefusal(t, kb, w, ProviderGmail, refusal{smtpx.RCPT, 550, "5.7.1",
		"not meet IPv6 sending guidelines regarding PTR records and", "gmail.ipv6-guidelines"})
	expectRefusal(t, kb, w, ProviderOutlook, refusal{smtpx.MAIL, 550, "5.7.1",
		"messages from [2001:db8::25] weren't sent", "outlook.s3140"})
	gmx := expectRefusal(t, kb, w, ProviderGMX, refusal{smtpx.Connect, 554, "",
		"Bad DNS PTR resource record.", "gmx.bad-ptr"})
	for _, line := range []string{"554-gmx.example (mxgmx001) Nemesis ESMTP Service not available", "554-No SMTP service",
		"554 For explanation visit https://postmaster.gmx.net/en/case?c=r0601&i=ip&v=2001:db8::25&r="} {
		if !strings.Contains(gmx.text, line) {
			t.Errorf("GMX greeting lacks %q:\n%s", line, gmx.text)
		}
	}
	rep := testerScore(t, w)
	for _, id := range []string{"headers.to", "spf.result", "dkim.signature", "rdns.ptr"} {
		if !slices.Contains(deductionIDs(rep), id) {
			t.Errorf("tester at the start: no deduction for %s in %v", id, rep.Deductions)
		}
	}
	expectStatus(t, w, map[string]scoring.Status{
		"spf.record": scoring.Fail, "dkim.record": scoring.Fail, "dmarc.record": scoring.Fail,
		"rdns.ptr": scoring.Fail, "ipv6.ready": scoring.Fail,
	})

	// 1. IPv6 off (at once): Gmail now judges the message over IPv4 and
	// refuses it as unauthenticated; GMX and Outlook see the IPv4 address.
	apply(t, w, clk, "ipv6.disable", 0)
	gmail := expectRefusal(t, kb, w, ProviderGmail, refusal{smtpx.EndOfData, 550, "5.7.26",
		"Gmail requires all senders to authenticate with either SPF or DKIM.", "gmail.unauthenticated"})
	for _, phrase := range []string{"DKIM = did not pass", "SPF [example.com] with ip: [192.0.2.25] = did not pass"} {
		if !strings.Contains(gmail.text, phrase) {
			t.Errorf("Gmail's 5.7.26 lacks %q:\n%s", phrase, gmail.text)
		}
	}
	expectRefusal(t, kb, w, ProviderGMX, refusal{smtpx.Connect, 554, "", "v=192.0.2.25&r=", "gmx.bad-ptr"})
	expectRefusal(t, kb, w, ProviderOutlook, refusal{smtpx.MAIL, 550, "5.7.1", "messages from [192.0.2.25] weren't sent", "outlook.s3140"})

	// 2. SPF: not visible until it has propagated.
	if err := w.Apply("spf.publish"); err != nil {
		t.Fatal(err)
	}
	if f := fixByID(t, w, "spf.publish"); f.State != FixPending || !f.EffectiveAt.Equal(clk.Now().Add(testPropagation)) ||
		len(f.Records) != 1 || f.Records[0].Value != "v=spf1 ip4:192.0.2.25 -all" {
		t.Fatalf("spf.publish right after Apply: %+v", f)
	}
	expectRefusal(t, kb, w, ProviderGmail, refusal{smtpx.EndOfData, 550, "5.7.26", "did not pass", "gmail.unauthenticated"})
	clk.Advance(testPropagation)
	expectAccepted(t, w, ProviderGmail)
	if box := mailbox(t, w, ProviderGmail); box[len(box)-1].Folder != "spam" || len(box[len(box)-1].Reasons) != 2 {
		t.Errorf("Gmail with SPF only, no DMARC, no To: folder %q %q, want spam for both", box[len(box)-1].Folder, box[len(box)-1].Reasons)
	}

	// 3. The IPv4 PTR: GMX lets the connection in.
	apply(t, w, clk, "rdns.ptr4", testPropagation)
	expectAccepted(t, w, ProviderGMX)

	// 4. Outlook's delisting takes the ramp, not the DNS delay.
	apply(t, w, clk, "outlook.delist", testPropagation)
	expectRefusal(t, kb, w, ProviderOutlook, refusal{smtpx.MAIL, 550, "5.7.1", "(S3140)", "outlook.s3140"})
	clk.Advance(testRamp - testPropagation)
	expectAccepted(t, w, ProviderOutlook)

	// The story's mail-tester moment: 7.8/10, −1.2 for To:, −1 for DKIM.
	rep = testerScore(t, w)
	if rep.Score.Value != 7.8 || !slices.Equal(deductionIDs(rep), []string{"headers.to", "dkim.signature"}) {
		t.Fatalf("tester: %.1f %v, want 7.8 [headers.to dkim.signature]", rep.Score.Value, rep.Deductions)
	}
	if !strings.Contains(rep.AuthenticationResults, "spf=pass") || !strings.Contains(rep.AuthenticationResults, "dkim=none") {
		t.Errorf("Authentication-Results: %s", rep.AuthenticationResults)
	}

	// 5. DKIM and To: the tester is happy, Gmail still files as spam.
	apply(t, w, clk, "dkim.publish", testPropagation)
	apply(t, w, clk, "draft.to", 0)
	if rep = testerScore(t, w); rep.Score.Value != 10 || len(rep.Deductions) != 0 {
		t.Fatalf("tester after DKIM and To: %.1f %v", rep.Score.Value, rep.Deductions)
	}
	expectAccepted(t, w, ProviderGmail)
	if last := lastDelivered(t, w, ProviderGmail); last.Folder != "spam" || !strings.Contains(strings.Join(last.Reasons, " "), "DMARC") {
		t.Errorf("Gmail without DMARC: %q %q, want spam for DMARC", last.Folder, last.Reasons)
	}

	// 6. DMARC, then enforcement: Gmail's inbox.
	apply(t, w, clk, "dmarc.publish", testPropagation)
	apply(t, w, clk, "dmarc.reject", testPropagation)
	for _, id := range []string{ProviderGmail, ProviderOutlook, ProviderGMX, ProviderTester} {
		got := expectAccepted(t, w, id)
		if got.sent.Outcome.SignInfo == nil || got.sent.SourceIP.String() != "192.0.2.25" {
			t.Errorf("%s: signature %v, source %s", id, got.sent.Outcome.SignInfo, got.sent.SourceIP)
		}
	}
	if last := lastDelivered(t, w, ProviderGmail); last.Folder != "inbox" {
		t.Errorf("Gmail at the end: %q %q, want the inbox", last.Folder, last.Reasons)
	}
	if rep = w.TesterReport(); rep.Score.Value != 10 || rep.Score.Incomplete {
		t.Errorf("tester at the end: %+v %v", rep.Score, rep.Deductions)
	}
	expectAllPass(t, w)

	for _, want := range []string{
		"SPF record published at example.com: v=spf1 ip4:192.0.2.25 -all (propagating, effective at ",
		"SPF record at example.com is visible",
		"Outlook delisting approved",
		"message received by tester.example: score 7.8/10",
		"message received by tester.example: score 10.0/10",
		"gmail.example refused mail from 2001:db8::25 at RCPT: 550 5.7.1",
	} {
		if !logHas(w, want) {
			t.Errorf("no event %q", want)
		}
	}
	for _, f := range w.Fixes() {
		if f.ID != "rdns.ptr6" && f.State != FixApplied {
			t.Errorf("fix %s is %s at the end", f.ID, f.State)
		}
	}
}

// TestStoryOtherWayOutOfIPv6 keeps IPv6 on and gives it a PTR and SPF
// instead: Gmail accepts over IPv6.
func TestStoryOtherWayOutOfIPv6(t *testing.T) {
	w, clk := startWorld(t, ScenarioStory)
	kb := loadKB(t)
	apply(t, w, clk, "rdns.ptr6", testPropagation)
	// PTR alone: past RCPT, but IPv6 mail must also authenticate.
	expectRefusal(t, kb, w, ProviderGmail, refusal{smtpx.EndOfData, 550, "5.7.1", "IPv6 sending guidelines", "gmail.ipv6-guidelines"})
	if f := fixByID(t, w, "spf.publish"); f.Records[0].Value != "v=spf1 ip4:192.0.2.25 ip6:2001:db8::25 -all" {
		t.Errorf("SPF proposed while IPv6 is on: %q", f.Records[0].Value)
	}
	apply(t, w, clk, "spf.publish", testPropagation)
	got := expectAccepted(t, w, ProviderGmail)
	if got.sent.SourceIP.String() != "2001:db8::25" {
		t.Errorf("source %s, want the IPv6 address", got.sent.SourceIP)
	}
	expectStatus(t, w, map[string]scoring.Status{"ipv6.ready": scoring.Pass, "spf.result": scoring.Pass})
}

// TestStoryEveryFixInOrderPassesEverything applies the scenario's fixes
// in the listed order, as a UI's "fix all" would.
func TestStoryEveryFixInOrderPassesEverything(t *testing.T) {
	w, clk := startWorld(t, ScenarioStory)
	for _, id := range w.Scenario().Fixes {
		if err := w.Apply(id); err != nil {
			t.Fatalf("Apply(%s): %v", id, err)
		}
	}
	clk.Advance(testRamp)
	for _, f := range w.Fixes() {
		if f.State != FixApplied {
			t.Errorf("%s: %s", f.ID, f.State)
		}
	}
	expectAllPass(t, w)
	for _, p := range w.Providers() {
		expectAccepted(t, w, p.ID)
	}
	if rep := w.TesterReport(); rep.Score.Value != 10 {
		t.Errorf("tester: %+v %v", rep.Score, rep.Deductions)
	}
}

func fixByID(t *testing.T, w *World, id string) Fix {
	t.Helper()
	for _, f := range w.Fixes() {
		if f.ID == id {
			return f
		}
	}
	t.Fatalf("no fix %s", id)
	return Fix{}
}

func mailbox(t *testing.T, w *World, id string) []Delivered {
	t.Helper()
	box, err := w.Mailbox(id)
	if err != nil || len(box) == 0 {
		t.Fatalf("mailbox %s: %d messages, %v", id, len(box), err)
	}
	return box
}

func lastDelivered(t *testing.T, w *World, id string) Delivered {
	t.Helper()
	box := mailbox(t, w, id)
	return box[len(box)-1]
}
