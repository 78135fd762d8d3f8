package explain

import (
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/mailcred/mailcred/scoring/smtpx"
)

// replyCase is one reply as a server sent it, with what Explain must say.
// Texts are the providers' published replies (sources in data/*.yaml);
// where a source abbreviates ("…") the rest of the wording comes from
// the source it names (go-sisimai rhost/*.go, the provider's page), and
// addresses are replaced with documentation ones (192.0.2.0/24,
// 2001:db8::/32, example.org). Multi-line replies keep their "550-"
// continuation prefixes, lines joined with "\n", as Reply.Text carries them.
type replyCase struct {
	name     string
	stage    smtpx.Stage
	text     string
	id       string // the entry that must match (generic ones included)
	outcome  smtpx.Outcome
	category string
	checks   []string // after the stage's exclusions
}

// allCases is every table of the package's tests.
func allCases() []replyCase {
	var all []replyCase
	for _, group := range [][]replyCase{
		gmailCases(), microsoftCases(), yahooCases(), gmxCases(), icloudCases(),
		orangeCases(), comcastCases(), coxCases(), tOnlineCases(), genericCases(),
	} {
		all = append(all, group...)
	}
	return all
}

// loadKB loads the embedded knowledge base or stops the test.
func loadKB(t testing.TB) *KB {
	t.Helper()
	kb, err := Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return kb
}

// rulesOutPhrases are what each stage's RulesOut must say, written here
// independently of the data file.
var rulesOutPhrases = map[smtpx.Stage][]string{
	smtpx.Connect:   {"before EHLO", "only the connecting IP and its reverse DNS were known"},
	smtpx.EHLO:      {"at EHLO", "HELO name"},
	smtpx.STARTTLS:  {"during STARTTLS", "TLS negotiation"},
	smtpx.AUTH:      {"at AUTH", "credentials"},
	smtpx.MAIL:      {"at MAIL FROM, before any content was sent", "DKIM", "cannot be the cause", "SPF"},
	smtpx.RCPT:      {"at RCPT TO, before any content was sent", "DKIM", "recipient"},
	smtpx.DATA:      {"DATA command, before the message itself was sent", "DKIM"},
	smtpx.EndOfData: {"every cause is possible", "DKIM", "content"},
}

func TestExplainTable(t *testing.T) {
	kb := loadKB(t)
	t.Logf("knowledge base: %d entries, %d table cases", len(kb.entries), len(allCases()))
	names := map[string]bool{}
	for _, tc := range allCases() {
		if names[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		names[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			checkCase(t, kb, tc)
		})
	}
}

// checkCase asserts every field of the explanation for tc, and that the
// three ways of handing over the same reply agree.
func checkCase(t *testing.T, kb *KB, tc replyCase) {
	t.Helper()
	trimmed := strings.TrimLeft(tc.text, " ")
	asSession := Reply{Code: parseCode(trimmed), Lines: lines(tc.text)}
	got := kb.Explain(asSession, tc.stage)

	if e := kb.best(ptr(prepareFor(kb, asSession, tc.stage))); e.id != tc.id {
		t.Errorf("matched entry %q, want %q", e.id, tc.id)
	}
	wantID := tc.id
	if strings.HasPrefix(tc.id, "generic.") || tc.id == "" {
		wantID = ""
	}
	if got.EntryID != wantID {
		t.Errorf("EntryID = %q, want %q", got.EntryID, wantID)
	}
	if got.Outcome != tc.outcome {
		t.Errorf("Outcome = %q, want %q", got.Outcome, tc.outcome)
	}
	if got.Category != tc.category {
		t.Errorf("Category = %q, want %q", got.Category, tc.category)
	}
	if !slices.Equal(got.Checks, tc.checks) {
		t.Errorf("Checks = %q, want %q", got.Checks, tc.checks)
	}
	if got.Stage != tc.stage {
		t.Errorf("Stage = %q, want %q", got.Stage, tc.stage)
	}
	if got.Meaning == "" || got.Source == "" {
		t.Errorf("empty Meaning or Source: %+v", got)
	}
	if got.EntryID != "" && got.Link == "" {
		t.Errorf("provider entry without a remediation link")
	}
	checkRulesOut(t, got)

	// The same reply with the code left to be parsed, and with the
	// enhanced code handed over separately, must explain identically.
	for _, variant := range []Reply{
		{Lines: lines(tc.text)},
		{Code: asSession.Code, Enhanced: ParseEnhanced(tc.text), Lines: lines(tc.text)},
	} {
		if other := kb.Explain(variant, tc.stage); !sameExplanation(other, got) {
			t.Errorf("reply %+v explained differently:\n got  %+v\n want %+v", variant, other, got)
		}
	}
}

// checkRulesOut asserts the stage's sentence, or its absence.
func checkRulesOut(t *testing.T, got Explanation) {
	t.Helper()
	if got.Outcome == smtpx.Accepted {
		if got.RulesOut != "" {
			t.Errorf("RulesOut for an accepted reply: %q", got.RulesOut)
		}
		return
	}
	prefix := map[smtpx.Outcome]string{smtpx.Rejected: "Refused ", smtpx.Deferred: "Deferred "}[got.Outcome]
	if !strings.HasPrefix(got.RulesOut, prefix) {
		t.Errorf("RulesOut = %q, want it to start with %q", got.RulesOut, prefix)
	}
	for _, phrase := range rulesOutPhrases[got.Stage] {
		if !strings.Contains(got.RulesOut, phrase) {
			t.Errorf("RulesOut = %q, want it to mention %q", got.RulesOut, phrase)
		}
	}
}

func sameExplanation(a, b Explanation) bool {
	return reflect.DeepEqual(a, b)
}

func ptr[T any](v T) *T { return &v }

// prepareFor builds the matcher's input the way Explain does.
func prepareFor(kb *KB, r Reply, stage smtpx.Stage) input {
	in := prepare(r)
	if _, known := kb.stages[stage]; known {
		in.stage = stage
	}
	in.successLike = outcome(in) == smtpx.Accepted
	return in
}

// scored is an entry with its score for one reply.
type scored struct {
	id    string
	score int
}

// ranking returns every entry that matches, best first.
func ranking(kb *KB, in *input) []scored {
	var out []scored
	for i := range kb.entries {
		if s := kb.entries[i].rule.score(in); s > 0 {
			out = append(out, scored{kb.entries[i].id, s})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].score > out[j].score })
	return out
}

// TestEveryEntryExercised proves the data is tested: each entry of the
// knowledge base is the best match of at least one table reply.
func TestEveryEntryExercised(t *testing.T) {
	kb := loadKB(t)
	hit := map[string]int{}
	for _, tc := range allCases() {
		hit[kb.best(ptr(prepareFor(kb, Reply{Lines: lines(tc.text)}, tc.stage))).id]++
	}
	providers := map[string]int{}
	for _, e := range kb.entries {
		providers[e.provider]++
		if hit[e.id] == 0 {
			t.Errorf("entry %s (%s) is matched by no test reply", e.id, e.file)
		}
	}
	t.Logf("%d entries, %d exercised; by provider: %v", len(kb.entries), len(hit), providers)
}

// TestNoTies checks that no table reply is decided by file order: the best
// entry scores strictly higher than the runner-up.
func TestNoTies(t *testing.T) {
	kb := loadKB(t)
	for _, tc := range allCases() {
		r := ranking(kb, ptr(prepareFor(kb, Reply{Lines: lines(tc.text)}, tc.stage)))
		if len(r) > 1 && r[0].score == r[1].score {
			t.Errorf("%s: %s and %s tie at %d", tc.name, r[0].id, r[1].id, r[0].score)
		}
	}
}

func TestStageAliases(t *testing.T) {
	kb := loadKB(t)
	reply := Reply{Lines: lines("550 5.7.1 Unfortunately, messages from [192.0.2.25] weren't sent. " +
		"Please contact your Internet service provider since part of their network is on our block list (S3140).")}
	for alias, want := range map[string]smtpx.Stage{
		"MAIL FROM": smtpx.MAIL, "mail_from": smtpx.MAIL, " Mail ": smtpx.MAIL,
		"RCPT TO": smtpx.RCPT, "greeting": smtpx.Connect, "end of data": smtpx.EndOfData,
		"EOD": smtpx.EndOfData, "HELO": smtpx.EHLO,
	} {
		st, ok := kb.ParseStage(alias)
		if got := kb.Explain(reply, st); !ok || got.Stage != want {
			t.Errorf("stage %q → %q, want %q", alias, got.Stage, want)
		}
	}
}

func TestUnknownStageKeepsEverything(t *testing.T) {
	kb := loadKB(t)
	got := kb.Explain(Reply{Lines: lines("550 5.7.26 This mail has been blocked because the sender is " +
		"unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM.")}, smtpx.QUIT)
	if got.Stage != smtpx.QUIT || got.RulesOut != "" {
		t.Errorf("a stage the data does not describe: Stage %q RulesOut %q", got.Stage, got.RulesOut)
	}
	want := []string{"spf.record", "spf.result", "dkim.record", "dkim.signature"}
	if !slices.Equal(got.Checks, want) {
		t.Errorf("Checks = %q, want all of the entry's: %q", got.Checks, want)
	}
}

// TestMailStageDropsContentChecks is the demo's story: Yahoo's TSS04 in
// reply to MAIL FROM cannot be about this message's DKIM signature.
func TestMailStageDropsContentChecks(t *testing.T) {
	kb := loadKB(t)
	text := "421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred due to unexpected volume or user complaints"
	atMail := kb.Explain(Reply{Lines: lines(text)}, smtpx.MAIL)
	atEnd := kb.Explain(Reply{Lines: lines(text)}, smtpx.EndOfData)
	if slices.Contains(atMail.Checks, "dkim.signature") || slices.Contains(atMail.Checks, "dmarc.alignment") {
		t.Errorf("at MAIL FROM: %q", atMail.Checks)
	}
	if !slices.Contains(atEnd.Checks, "dkim.signature") {
		t.Errorf("at end of DATA: %q", atEnd.Checks)
	}
}

// TestExplanationDoesNotShareState mutates a returned explanation and
// checks that the knowledge base is unchanged.
func TestExplanationDoesNotShareState(t *testing.T) {
	kb := loadKB(t)
	r := Reply{Lines: lines("550 5.7.1 [HME1] This message was blocked for failing both SPF and DKIM authentication checks.")}
	first := kb.Explain(r, smtpx.EndOfData)
	want := slices.Clone(first.Checks)
	for i := range first.Checks {
		first.Checks[i] = "mutated"
	}
	_ = append(first.Checks, "appended")
	if again := kb.Explain(r, smtpx.EndOfData); !slices.Equal(again.Checks, want) {
		t.Errorf("checks changed to %q, want %q", again.Checks, want)
	}
}

// TestConcurrentExplain runs Explain from many goroutines (meaningful under
// -race): the KB is read-only.
// One knowledge base serves every session at once: eight goroutines
// explaining the cases get what one explaining them in turn gets (and
// -race watches the sharing).
func TestConcurrentExplain(t *testing.T) {
	kb := loadKB(t)
	cases := allCases()
	want := make([]Explanation, len(cases))
	for i, c := range cases {
		want[i] = kb.Explain(Reply{Lines: lines(c.text)}, c.stage)
	}
	got := make([]Explanation, len(cases))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := g; i < len(cases); i += 8 {
				got[i] = kb.Explain(Reply{Lines: lines(cases[i].text)}, cases[i].stage)
			}
		})
	}
	wg.Wait()
	for i := range cases {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("%q explained at once: %+v\nin turn: %+v", cases[i].text, got[i], want[i])
		}
	}
}

func TestNilKB(t *testing.T) {
	var kb *KB
	got := kb.Explain(Reply{Code: 550, Lines: lines("550 5.7.1 no")}, smtpx.MAIL)
	if got.Outcome != smtpx.Rejected || got.Meaning == "" || got.Enhanced != "5.7.1" {
		t.Errorf("nil KB: %+v", got)
	}
}

func TestParseEnhanced(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"550 5.7.26 This mail has been blocked", "5.7.26"},
		{"550-5.7.1 [2001:db8::25] This message does not meet", "5.7.1"},
		{"5.7.606 Access denied", "5.7.606"},
		{"  421 4.7.0 [TSS04] Messages", "4.7.0"},
		{"250 2.0.0 OK", "2.0.0"},
		{"550 5.7.0, Mail Sending denied", "5.7.0"},
		{"451 4.7.650", "4.7.650"},
		{"550 5.1.10 Recipient address has null MX", "5.1.10"},
		{"554 Message not allowed - [PH01]", ""},
		{"550 mwinf5c04 ME Adresse IP", ""},
		{"550 5.7.1.2 is an address", ""},
		{"550 5.7.1234 too long", ""},
		{"550 6.7.1 bad class", ""},
		{"550 3.1.1 bad class", ""},
		{"550 5..1 empty", ""},
		{"550 5.7. empty detail", ""},
		{"5.7", ""},
		{"", ""},
		{"550", ""},
		{"550-", ""},
		{"5501 5.7.1", ""},
	} {
		if got := ParseEnhanced(tc.text); got != tc.want {
			t.Errorf("ParseEnhanced(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestOutcome(t *testing.T) {
	kb := loadKB(t)
	for _, tc := range []struct {
		r    Reply
		want smtpx.Outcome
	}{
		{Reply{Code: 250, Lines: lines("250 2.0.0 OK")}, smtpx.Accepted},
		{Reply{Code: 354, Lines: lines("354 Go ahead")}, smtpx.Accepted},
		{Reply{Code: 421, Lines: lines("421 closing")}, smtpx.Deferred},
		{Reply{Code: 451, Lines: lines("451 4.3.0 later")}, smtpx.Deferred},
		{Reply{Code: 550, Lines: lines("550 no")}, smtpx.Rejected},
		{Reply{Lines: lines("5.5.3 Mail from not owned by user. LPN105_421.")}, smtpx.Rejected},
		{Reply{Lines: lines("4.7.0 later")}, smtpx.Deferred},
		{Reply{Code: 0, Lines: lines("connection reset by peer")}, smtpx.Deferred},
		{Reply{Code: 999, Lines: lines("999 what")}, smtpx.Deferred},
		{Reply{Code: -5}, smtpx.Deferred},
		{Reply{Code: 250, Enhanced: "5.7.1", Lines: lines("250 OK")}, smtpx.Accepted}, // the basic code decides
	} {
		if got := kb.Explain(tc.r, smtpx.EndOfData).Outcome; got != tc.want {
			t.Errorf("%+v: outcome %q, want %q", tc.r, got, tc.want)
		}
	}
}

// TestAcceptedNeverMatchesProviderEntries: a bracket code quoted in a
// positive reply does not turn it into a refusal.
func TestAcceptedNeverMatchesProviderEntries(t *testing.T) {
	kb := loadKB(t)
	got := kb.Explain(Reply{Lines: lines("250 2.0.0 OK (S3140 is just a word here)")}, smtpx.EndOfData)
	if got.EntryID != "" || got.Category != "accepted" {
		t.Errorf("%+v", got)
	}
}

func TestFallback(t *testing.T) {
	kb := loadKB(t)
	for _, r := range []Reply{
		{Lines: lines("connection reset by peer")},
		{Code: 999, Lines: lines("999 no such code")},
		{},
	} {
		got := kb.Explain(r, smtpx.RCPT)
		if got.EntryID != "" || got.Provider != "generic" || got.Outcome != smtpx.Deferred ||
			!slices.Equal(got.Checks, []string{"smtp.response"}) || got.Meaning == "" {
			t.Errorf("%+v: %+v", r, got)
		}
		if !strings.HasPrefix(got.RulesOut, "Deferred at RCPT TO") {
			t.Errorf("RulesOut = %q", got.RulesOut)
		}
	}
}

// lines splits a table's reply text, written with "\n" between the lines,
// into the lines a session hands Explain.
func lines(text string) []string { return strings.Split(text, "\n") }
