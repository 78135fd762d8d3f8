package cli

import (
	"bytes"
	"encoding/json"
	"net/mail"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/authres"

	"github.com/mailcred/mailcred/scoring/dkim"
	"github.com/mailcred/mailcred/session/compose"
	"github.com/mailcred/mailcred/session/sign"
)

// scoreJSON is the part of score's JSON the tests read.
type scoreJSON struct {
	Score                 *float64 `json:"score"`
	Max                   float64  `json:"max"`
	AuthenticationResults string   `json:"authentication_results"`
	Notes                 []string `json:"notes"`
	Checks                []struct {
		ID, Status, Title, Detail string
	} `json:"checks"`
}

func (s scoreJSON) status(id string) string {
	for _, c := range s.Checks {
		if c.ID == id {
			return c.Status
		}
	}
	return "absent"
}

// goodMessage is a composed message from example.com, signed with the
// key the world publishes at s1._domainkey.example.com.
func goodMessage(t *testing.T) []byte {
	t.Helper()
	m := compose.Message{
		From:    mail.Address{Name: "Alice", Address: "alice@example.com"},
		To:      []mail.Address{{Address: "bob@example.org"}},
		Subject: "Score me",
		Body:    "Hello Bob,\n\nthis is a test.\n",
	}
	raw, err := m.Render(time.Now(), "example.com")
	if err != nil {
		t.Fatal(err)
	}
	key, err := dkim.LoadPrivateKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	signed, _, err := sign.Sign(raw, sign.Options{Domain: "example.com", Selector: "s1", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// storyMessage is what `sendmail -v` sent in the demo's story: no To:,
// no DKIM signature.
func storyMessage() []byte {
	return []byte("From: root@example.com\r\nSubject: test\r\nDate: " + time.Now().Format(time.RFC1123Z) +
		"\r\nMessage-ID: <story.1@example.com>\r\n\r\nHello from my VPS.\r\n")
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func runIn(t *testing.T, stdin []byte, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(IO{In: bytes.NewReader(stdin), Out: &out, Err: &errb}, args)
	return code, out.String(), errb.String()
}

func scoreArgs(resolver, file string, extra ...string) []string {
	return append([]string{"score", file, "--resolver", resolver, "--ip", "192.0.2.10", "--helo", "mail.example.com"}, extra...)
}

func decodeScore(t *testing.T, out string) scoreJSON {
	t.Helper()
	var s scoreJSON
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if s.Score == nil || s.Max != 10 || s.AuthenticationResults == "" {
		t.Fatalf("JSON shape: %+v", s)
	}
	return s
}

func TestScoreOfAGoodSignedMessage(t *testing.T) {
	file := writeFile(t, "good.eml", goodMessage(t))
	code, out, stderr := run(t, nil, scoreArgs(world(t, false), file, "--format", "json")...)
	s := decodeScore(t, out)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %s\n%s", code, stderr, out)
	}
	for _, id := range []string{"spf.result", "dkim.signature", "dmarc.alignment", "headers.to", "headers.from", "message.format", "rdns.ptr", "blocklist.ip", "blocklist.domain"} {
		if st := s.status(id); st != "pass" {
			t.Errorf("%s: %s", id, st)
		}
	}
	id, results, err := authres.Parse(s.AuthenticationResults)
	if err != nil || id != "mailcred" || len(results) != 4 { // spf mailfrom, spf helo, dkim, dmarc
		t.Fatalf("authentication_results %q: %d results, %v", s.AuthenticationResults, len(results), err)
	}
	for _, w := range []string{"spf=pass smtp.mailfrom=alice@example.com", "dkim=pass", "header.d=example.com", "header.s=s1", "dmarc=pass header.from=example.com"} {
		if !strings.Contains(s.AuthenticationResults, w) {
			t.Errorf("%q missing from %s", w, s.AuthenticationResults)
		}
	}
	if *s.Score != 10 {
		t.Errorf("score %.1f", *s.Score)
	}
}

func TestScoreTextStartsWithAuthenticationResults(t *testing.T) {
	file := writeFile(t, "good.eml", goodMessage(t))
	code, out, _ := run(t, []string{"NO_COLOR=1"}, scoreArgs(world(t, false), file, "--mail-from", "<bounce@example.com>")...)
	if code != ExitOK {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if !strings.HasPrefix(out, "Authentication-Results: mailcred;\n    spf=pass smtp.mailfrom=bounce@example.com;\n") {
		t.Fatalf("output does not start with the header:\n%s", out)
	}
	for _, w := range []string{"mailcred score " + file, "MAIL FROM bounce@example.com (--mail-from)", "✓ pass  dkim.signature", "Score 10.0/10"} {
		if !strings.Contains(out, w) {
			t.Errorf("%q missing from\n%s", w, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("escape sequences in output to a non-terminal")
	}
}

func TestScoreOfTheStorysUnsignedMessageWithoutTo(t *testing.T) {
	file := writeFile(t, "story.eml", storyMessage())
	code, out, _ := run(t, nil, scoreArgs(world(t, true), file, "--format", "json")...)
	if code != ExitFailed {
		t.Fatalf("exit %d\n%s", code, out)
	}
	s := decodeScore(t, out)
	for id, want := range map[string]string{"headers.to": "fail", "dkim.signature": "fail", "dmarc.alignment": "warn", "spf.result": "fail"} {
		if got := s.status(id); got != want {
			t.Errorf("%s: %s, want %s", id, got, want)
		}
	}
	if !strings.Contains(s.AuthenticationResults, "dkim=none") || !strings.Contains(s.AuthenticationResults, "dmarc=none") {
		t.Errorf("authentication_results: %s", s.AuthenticationResults)
	}
	if *s.Score >= 8 {
		t.Errorf("score %.1f for an unsigned message without To", *s.Score)
	}
}

func TestScoreReadsStandardInput(t *testing.T) {
	code, out, stderr := runIn(t, goodMessage(t), scoreArgs(world(t, false), "-", "--format", "json")...)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr %s\n%s", code, stderr, out)
	}
	if s := decodeScore(t, out); s.status("dkim.signature") != "pass" {
		t.Fatalf("dkim.signature from stdin: %s", s.status("dkim.signature"))
	}
}

func TestScoreConvertsLFOnlyInputAndSaysSo(t *testing.T) {
	lf := bytes.ReplaceAll(goodMessage(t), []byte("\r\n"), []byte("\n"))
	file := writeFile(t, "lf.eml", lf)
	code, out, _ := run(t, nil, scoreArgs(world(t, false), file, "--format", "json")...)
	s := decodeScore(t, out)
	if code != ExitFailed {
		t.Fatalf("exit %d: message.format should fail on bare LF\n%s", code, out)
	}
	if st := s.status("dkim.signature"); st != "pass" {
		t.Errorf("dkim.signature after conversion: %s", st)
	}
	if st := s.status("message.format"); st != "fail" {
		t.Errorf("message.format on the original: %s", st)
	}
	if !strings.Contains(strings.Join(s.Notes, "\n"), "converted to CRLF") {
		t.Errorf("conversion not reported: %q", s.Notes)
	}
}

func TestScoreUsageErrors(t *testing.T) {
	addr := "127.0.0.1:1"
	for name, args := range map[string][]string{
		"nonexistent file": {"score", "/nonexistent/message.eml", "--resolver", addr, "--ip", "192.0.2.10"},
		"no file":          {"score", "--resolver", addr, "--ip", "192.0.2.10"},
		"two files":        {"score", "a.eml", "b.eml", "--resolver", addr, "--ip", "192.0.2.10"},
		"bad --ip":         {"score", "-", "--resolver", addr, "--ip", "nope"},
		"no --ip":          {"score", "-", "--resolver", addr},
		"empty stdin":      {"score", "-", "--resolver", addr, "--ip", "192.0.2.10"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runIn(t, nil, args...)
			if code != ExitError || !strings.HasPrefix(stderr, "mailcred: ") {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
		})
	}
	_, _, stderr := runIn(t, nil, "score", "/nonexistent/message.eml", "--ip", "192.0.2.10")
	if !strings.Contains(stderr, "no such file") {
		t.Errorf("stderr %q", stderr)
	}
}

func TestEnvelopeSender(t *testing.T) {
	for _, tc := range []struct {
		name, flag, msg, helo, want string
	}{
		{"flag wins", "<b@example.net>", "Return-Path: <r@example.org>\r\n\r\n", "", "b@example.net"},
		{"Return-Path", "", "Return-Path: <r@example.org>\r\n\r\n", "", "r@example.org"},
		{"From without Return-Path", "", "Subject: x\r\n\r\n", "", "a@example.com"},
		{"null reverse-path", "", "Return-Path: <>\r\n\r\n", "mail.example.com", ""},
		{"null reverse-path by flag", "<>", "Return-Path: <r@example.org>\r\n\r\n", "", ""},
		{"unreadable Return-Path ignored", "", "Return-Path: <a b@x>\r\n\r\n", "", "a@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, _ := envelopeSender(tc.flag, []byte(tc.msg), "a@example.com"); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	// No flag, no Return-Path, no From: the source says so, not "the From address".
	if got, source := envelopeSender("", []byte("Subject: x\r\n\r\n"), ""); got != "" || strings.Contains(source, "the From address") {
		t.Errorf("got %q (%s)", got, source)
	}
}

func TestFoldAuthResultsFitsAndUnfoldsToTheSameField(t *testing.T) {
	value := `mailcred; spf=fail smtp.mailfrom=bounce@example.com; dkim=fail reason="body hash did not verify" ` +
		`header.a=rsa-sha256 header.d=a-rather-long-signing-domain.example.com header.i=@a-rather-long-signing-domain.example.com header.s=selector2026; ` +
		`dmarc=fail reason="no aligned SPF or DKIM pass, policy reject" header.from=example.com`
	lines := foldAuthResults(value, 80)
	for _, l := range lines {
		if len([]rune(l)) > 80 {
			t.Errorf("line over 80 columns: %q", l)
		}
	}
	// Unfold (RFC 5322 §2.2.3) and compare what a parser reads.
	unfolded := strings.TrimPrefix(strings.Join(lines, "\r\n"), authResultsName+" ")
	unfolded = strings.Join(strings.Fields(unfolded), " ")
	if unfolded != value {
		t.Fatalf("unfolded:\n%s\nwant:\n%s", unfolded, value)
	}
	if !strings.Contains(strings.Join(lines, "\n"), `reason="body hash did not verify"`) {
		t.Error("a quoted reason was folded")
	}
}

func TestCollectSoonerLowersGCPercentForALargeMessageOnly(t *testing.T) {
	if os.Getenv("GOGC") != "" {
		t.Skip("GOGC is set: collectSooner keeps it")
	}
	percent := func() int {
		p := debug.SetGCPercent(100)
		debug.SetGCPercent(p)
		return p
	}
	before := percent()
	collectSooner(1 << 20)()
	if got := percent(); got != before {
		t.Errorf("1 MiB message: GOGC %d, want %d unchanged", got, before)
	}
	restore := collectSooner(10 << 20)
	if got := percent(); got != 10 {
		t.Errorf("10 MiB message: GOGC %d, want 10", got)
	}
	restore()
	if got := percent(); got != before {
		t.Errorf("after: GOGC %d, want %d restored", got, before)
	}
}
