package dmarc

import (
	"context"
	"slices"
	"testing"
)

// Evaluation behaviour beyond cases.json (mailauth rfc9989-compliance-test.js
// and RFC 9989's temperror rule).
func TestEvaluateTemporaryFailures(t *testing.T) {
	reject := txtZone("_dmarc.example.com", "v=DMARC1; p=reject")
	for _, tc := range []struct {
		name   string
		zone   zone
		fail   []string
		in     AlignmentInput
		result Result
		policy Policy
	}{
		{"walk above the author fails, identical identifier still aligns", reject, []string{"_dmarc.com"},
			AlignmentInput{FromDomain: "example.com", DKIM: []DKIMResult{{"example.com", "pass"}}}, ResultPass, PolicyReject},
		{"walk above the author fails, only a differing identifier could align", reject, []string{"_dmarc.com"},
			AlignmentInput{FromDomain: "example.com", DKIM: []DKIMResult{{"mail.example.com", "pass"}}}, ResultTempError, PolicyReject},
		{"an identifier walk fails and nothing else aligns", reject, []string{"_dmarc.mail.example.com"},
			AlignmentInput{FromDomain: "example.com", DKIM: []DKIMResult{{"mail.example.com", "pass"}}}, ResultTempError, PolicyReject},
		{"an identifier walk fails but another identifier aligns", reject, []string{"_dmarc.mail.example.com"},
			AlignmentInput{FromDomain: "example.com", SPF: SPFResult{"pass", "bounces.example.com"},
				DKIM: []DKIMResult{{"mail.example.com", "pass"}}}, ResultPass, PolicyReject},
		{"strict alignment needs no walk, so a failing walk is not temperror",
			txtZone("_dmarc.example.com", "v=DMARC1; p=reject; adkim=s"), []string{"_dmarc.mail.example.com"},
			AlignmentInput{FromDomain: "example.com", DKIM: []DKIMResult{{"mail.example.com", "pass"}}}, ResultFail, PolicyReject},
		{"the np existence test fails", txtZone("_dmarc.example.com", "v=DMARC1; p=reject; np=quarantine"), []string{"sub.example.com"},
			AlignmentInput{FromDomain: "sub.example.com"}, ResultTempError, PolicyReject},
		{"policy discovery fails", reject, []string{"_dmarc.example.com"},
			AlignmentInput{FromDomain: "example.com", DKIM: []DKIMResult{{"example.com", "pass"}}}, ResultTempError, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, tc.zone, tc.fail...)
			e := Evaluate(context.Background(), w.r, tc.in)
			if e.Result != tc.result || e.Policy != tc.policy {
				t.Errorf("result %s policy %q (%v; %q), want %s %q", e.Result, e.Policy, e.Err, e.Reasons, tc.result, tc.policy)
			}
			if e.ApplyPolicy != (tc.result == ResultFail) {
				t.Errorf("apply policy %v on %s", e.ApplyPolicy, e.Result)
			}
		})
	}
}

func TestEvaluateDoesNotWalkForeignIdentifiers(t *testing.T) {
	w := newWorld(t, txtZone("_dmarc.example.com", "v=DMARC1; p=reject"))
	e := Evaluate(context.Background(), w.r, AlignmentInput{FromDomain: "example.com",
		SPF:  SPFResult{"pass", "bounces.esp.example.net"},
		DKIM: []DKIMResult{{"esp.example.net", "pass"}, {"example.org", "pass"}}})
	if e.Result != ResultFail {
		t.Errorf("result %s", e.Result)
	}
	if got, want := w.txtQueries(), []string{"_dmarc.example.com", "_dmarc.com"}; !slices.Equal(got, want) {
		t.Errorf("queries %v, want %v", got, want)
	}
}

func TestEvaluatePSDRegistrantsDoNotAlign(t *testing.T) {
	w := newWorld(t, txtZone("_dmarc.bank.example", "v=DMARC1; p=reject; psd=y"))
	e := Evaluate(context.Background(), w.r, AlignmentInput{FromDomain: "giant.bank.example",
		SPF: SPFResult{"pass", "bank.example"}, DKIM: []DKIMResult{{"mega.bank.example", "pass"}}})
	if e.Result != ResultFail || e.RecordDomain != "bank.example" || e.OrgDomain != "giant.bank.example" || e.Policy != PolicyReject {
		t.Errorf("%s record %s org %s policy %s; %q", e.Result, e.RecordDomain, e.OrgDomain, e.Policy, e.Reasons)
	}
}
