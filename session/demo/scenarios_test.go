package demo

import (
	"crypto/rsa"
	"slices"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/smtpx"
)

// Every scenario but the story is a healthy sender with one thing broken;
// each test proves the problem is there at the start and that the
// scenario's fixes clear it, down to a catalogue of 10.

func TestScenarioSPFLookups(t *testing.T) {
	w, clk := startWorld(t, ScenarioSPFLookups)
	results, _ := checkCatalogue(t, w)
	if results["spf.lookups"].Status != scoring.Fail || !strings.Contains(results["spf.lookups"].Title+results["spf.lookups"].Detail, "12") {
		t.Errorf("spf.lookups: %s %s\n%s", results["spf.lookups"].Status, results["spf.lookups"].Title, results["spf.lookups"].Detail)
	}
	if results["spf.result"].Status != scoring.Fail || !strings.Contains(results["spf.result"].Detail, "permerror") {
		t.Errorf("spf.result: %s %s\n%s", results["spf.result"].Status, results["spf.result"].Title, results["spf.result"].Detail)
	}
	// Gmail still accepts: DKIM passes and aligns. The tester takes SPF's points.
	expectAccepted(t, w, ProviderGmail)
	if rep := testerScore(t, w); !slices.Contains(deductionIDs(rep), "spf.result") || !strings.Contains(rep.AuthenticationResults, "spf=permerror") {
		t.Errorf("tester: %v %s", rep.Deductions, rep.AuthenticationResults)
	}

	apply(t, w, clk, "spf.flatten", testPropagation)
	f := fixByID(t, w, "spf.flatten")
	if f.State != FixApplied {
		t.Errorf("spf.flatten: %s", f.State)
	}
	expectAllPass(t, w)
	if rep := testerScore(t, w); rep.Score.Value != 10 {
		t.Errorf("tester after flattening: %+v %v", rep.Score, rep.Deductions)
	}
}

func TestScenarioWeakDKIM(t *testing.T) {
	w, clk := startWorld(t, ScenarioWeakDKIM)
	if s := w.Sender(); s.Selector != "s1" || s.Key.Public().(*rsa.PublicKey).N.BitLen() != 1024 {
		t.Fatalf("sender at the start: %v", s)
	}
	results, score := checkCatalogue(t, w)
	if results["dkim.record"].Status != scoring.Warn || score.Value != 9.5 {
		t.Errorf("dkim.record %s (%s), score %.1f; want warn, 9.5", results["dkim.record"].Status, results["dkim.record"].Title, score.Value)
	}
	// A 1024-bit key still verifies: the tester is content.
	if rep := testerScore(t, w); rep.Score.Value != 10 {
		t.Errorf("tester: %+v %v", rep.Score, rep.Deductions)
	}

	if err := w.Apply("dkim.rotate"); err != nil {
		t.Fatal(err)
	}
	// Until s2 is visible the MTA keeps signing with s1: no broken window.
	if got := expectAccepted(t, w, ProviderTester); got.sent.Outcome.SignInfo.Selector != "s1" {
		t.Errorf("signed with %s before s2 is visible", got.sent.Outcome.SignInfo.Selector)
	}
	clk.Advance(testPropagation)
	got := expectAccepted(t, w, ProviderTester)
	if got.sent.Outcome.SignInfo.Selector != "s2" || got.sent.Outcome.SignInfo.Bits != 2048 {
		t.Errorf("after the rotation: signed with %s, %d bits", got.sent.Outcome.SignInfo.Selector, got.sent.Outcome.SignInfo.Bits)
	}
	if rep := w.TesterReport(); rep.Score.Value != 10 || !strings.Contains(rep.AuthenticationResults, "dkim=pass") {
		t.Errorf("tester after the rotation: %+v %s", rep.Score, rep.AuthenticationResults)
	}
	expectAllPass(t, w)
}

func TestScenarioBlocklisted(t *testing.T) {
	w, clk := startWorld(t, ScenarioBlocklisted)
	kb := loadKB(t)
	expectStatus(t, w, map[string]scoring.Status{"blocklist.ip": scoring.Fail})
	expectRefusal(t, kb, w, ProviderOutlook, refusal{smtpx.MAIL, 550, "5.7.1",
		"Client host [192.0.2.25] blocked using Spamhaus", ""})
	expectAccepted(t, w, ProviderGmail)
	if rep := testerScore(t, w); !slices.Equal(deductionIDs(rep), []string{"blocklist.ip"}) || rep.Score.Value != 9 {
		t.Errorf("tester: %.1f %v", rep.Score.Value, rep.Deductions)
	}

	apply(t, w, clk, "blocklist.delist", testPropagation)
	expectAccepted(t, w, ProviderOutlook)
	expectAllPass(t, w)
	if rep := testerScore(t, w); rep.Score.Value != 10 {
		t.Errorf("tester after delisting: %+v %v", rep.Score, rep.Deductions)
	}
}

func TestScenarioPublicResolver(t *testing.T) {
	w, clk := startWorld(t, ScenarioPublicResolver)
	results, score := checkCatalogue(t, w)
	for _, id := range []string{"blocklist.ip", "blocklist.domain"} {
		if results[id].Status != scoring.Error {
			t.Errorf("%s: %s (%s), want error: unable to check", id, results[id].Status, results[id].Title)
		}
	}
	if !score.Incomplete || score.Value != 10 {
		t.Errorf("score %+v, want 10 but incomplete", score)
	}
	// Receivers ask their own resolvers: nobody refuses the mail.
	for _, p := range w.Providers() {
		expectAccepted(t, w, p.ID)
	}
	if rep := w.TesterReport(); !rep.Score.Incomplete {
		t.Errorf("tester through a refusing resolver: %+v, want incomplete", rep.Score)
	}

	apply(t, w, clk, "resolver.local", 0) // a local change: at once
	expectAllPass(t, w)
	if rep := testerScore(t, w); rep.Score.Value != 10 || rep.Score.Incomplete {
		t.Errorf("tester after the resolver fix: %+v %v", rep.Score, rep.Deductions)
	}
}

// TestScenariosStartHealthyButForTheirProblem: apart from the checks its
// fixes address, every non-story scenario passes the catalogue.
func TestScenariosStartHealthyButForTheirProblem(t *testing.T) {
	for _, sc := range Scenarios() {
		if sc.Name == ScenarioStory {
			continue
		}
		t.Run(sc.Name, func(t *testing.T) {
			w, _ := startWorld(t, sc.Name)
			addressed := map[string]bool{}
			for _, f := range w.Fixes() {
				for _, id := range f.Checks {
					addressed[id] = true
				}
			}
			results, _ := checkCatalogue(t, w)
			bad := 0
			for id, res := range results {
				if res.Status == scoring.Pass || res.Status == scoring.Info || res.Status == scoring.Skip {
					continue
				}
				bad++
				if !addressed[id] {
					t.Errorf("%s: %s (%s), and no fix of the scenario addresses it", id, res.Status, res.Title)
				}
			}
			if bad == 0 {
				t.Errorf("the scenario starts with nothing wrong")
			}
		})
	}
}
