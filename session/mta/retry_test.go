package mta

import (
	"strings"
	"testing"
	"time"
)

func TestParseDumpDB(t *testing.T) {
	// exim_dumpdb output after a refused connection (exim 4.96).
	out := "  T:127.0.0.1:127.0.0.1:1 111 65 Connection refused\n" +
		"06-Dec-2026 06:00:53  06-Dec-2026 06:00:53  06-Dec-2026 06:15:53 \n" +
		"  R:b@x.test:<a@sender.test> -44 12 SMTP error from remote mail server after RCPT TO:<b@x.test>: 450 4.7.1 later\n" +
		"06-Dec-2026 06:00:16  06-Dec-2026 06:00:16  06-Dec-2026 06:15:16 *\n"
	e := ParseDumpDB(out, time.UTC)
	if len(e) != 2 {
		t.Fatalf("%d entries: %+v", len(e), e)
	}
	if e[0].Key != "T:127.0.0.1:127.0.0.1:1" || e[0].Error != "Connection refused" || !e[0].NextTry.Equal(time.Date(2026, 12, 6, 6, 15, 53, 0, time.UTC)) {
		t.Errorf("first entry %+v", e[0])
	}
	if !strings.HasPrefix(e[1].Key, "R:b@x.test") || e[1].NextTry.Minute() != 15 {
		t.Errorf("second entry %+v", e[1])
	}
}

func TestParseRetryRule(t *testing.T) {
	r, ok := ParseRetryRule("Retry rule: *  *  F,2h,15m; G,16h,1h,1.5; F,4d,6h; \n")
	if !ok || r.Interval != 15*time.Minute || !strings.HasPrefix(r.Text, "F,2h,15m;") {
		t.Errorf("got %+v %v", r, ok)
	}
	if _, ok := ParseRetryRule("No retry rule found for x.test\n"); ok {
		t.Error("a missing rule parsed")
	}
	for in, want := range map[string]time.Duration{"15m": 15 * time.Minute, "1d2h": 26 * time.Hour, "30": 30 * time.Second} {
		if d, ok := eximDuration(in); !ok || d != want {
			t.Errorf("eximDuration(%q) = %v %v, want %v", in, d, ok, want)
		}
	}
	for _, bad := range []string{"", "5x", "99999999999m"} {
		if _, ok := eximDuration(bad); ok {
			t.Errorf("eximDuration(%q) parsed", bad)
		}
	}
}

func FuzzParseDumpDB(f *testing.F) {
	f.Add("  T:a:b:1 111 65 Connection refused\n06-Dec-2026 06:00:53  06-Dec-2026 06:00:53  06-Dec-2026 06:15:53 \n")
	f.Add("Retry rule: *  *  F,2h,15m; G,16h,1h,1.5; F,4d,6h;")
	f.Fuzz(func(t *testing.T, s string) {
		if e := ParseDumpDB(s, time.UTC); len(e) > maxRetryEntries {
			t.Fatal("too many entries")
		}
		if r, ok := ParseRetryRule(s); ok && r.Interval <= 0 {
			t.Fatal("a rule without a positive interval")
		}
	})
}
