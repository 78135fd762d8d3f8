package smtpc

import (
	"bufio"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestReadReply(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		code     int
		enhanced string
		lines    []string
		err      error
	}{
		{"single line", "250 ok\r\n", 250, "", []string{"250 ok"}, nil},
		{"bare code ends the reply", "250\r\n", 250, "", []string{"250"}, nil},
		{"LF alone ends a line", "220 hi\n", 220, "", []string{"220 hi"}, nil},
		{"multi-line with enhanced code on each line", "550-5.7.26 first\r\n550-5.7.26 second\r\n550 5.7.26 third\r\n", 550, "5.7.26", []string{"550-5.7.26 first", "550-5.7.26 second", "550 5.7.26 third"}, nil},
		{"enhanced code only on the last line (go-smtp)", "550-first\r\n550 5.7.1 last\r\n", 550, "5.7.1", []string{"550-first", "550 5.7.1 last"}, nil},
		{"enhanced class must match the reply", "550 4.7.1 odd\r\n", 550, "", []string{"550 4.7.1 odd"}, nil},
		{"not an enhanced code", "250 2.0 ok\r\n", 250, "", []string{"250 2.0 ok"}, nil},
		{"enhanced code with three-digit parts", "451 4.7.650 rate limited\r\n", 451, "4.7.650", []string{"451 4.7.650 rate limited"}, nil},
		{"codes must agree across lines", "250-a\r\n251 b\r\n", 250, "", []string{"250-a", "251 b"}, ErrProtocol},
		{"no code", "hello\r\n", 0, "", []string{"hello"}, ErrProtocol},
		{"1xx is not an SMTP reply", "150 x\r\n", 0, "", []string{"150 x"}, ErrProtocol},
		{"bad separator", "250_x\r\n", 0, "", []string{"250_x"}, ErrProtocol},
		{"control characters are escaped", "220 a\x1b[31mb\x07\r\n", 220, "", []string{`220 a\e[31mb\x07`}, nil},
		{"a CR inside a line is escaped", "220 a\rb\r\n", 220, "", []string{`220 a\rb`}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := readReply(bufio.NewReaderSize(strings.NewReader(tc.in), 514), 512, 100)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if err == nil && (r.Code != tc.code || r.Enhanced != tc.enhanced) {
				t.Errorf("code %d %q, want %d %q", r.Code, r.Enhanced, tc.code, tc.enhanced)
			}
			if !slices.Equal(r.Lines, tc.lines) {
				t.Errorf("lines %q, want %q", r.Lines, tc.lines)
			}
		})
	}
}

func TestReadReplyLimits(t *testing.T) {
	t.Run("too many lines", func(t *testing.T) {
		in := strings.Repeat("250-x\r\n", 50)
		r, err := readReply(bufio.NewReaderSize(strings.NewReader(in), 514), 512, 10)
		if !errors.Is(err, ErrTooManyLines) || len(r.Lines) != 10 {
			t.Fatalf("err %v, %d lines", err, len(r.Lines))
		}
	})
	t.Run("long line cut at MaxLine and the rest skipped", func(t *testing.T) {
		in := "250-" + strings.Repeat("y", 5000) + "\r\n250 next\r\n"
		r, err := readReply(bufio.NewReaderSize(strings.NewReader(in), 514), 512, 10)
		if err != nil {
			t.Fatal(err)
		}
		want := "250-" + strings.Repeat("y", 508) + " …[4492 more bytes cut]"
		if len(r.Lines) != 2 || r.Lines[0] != want || r.Lines[1] != "250 next" {
			t.Errorf("lines = %q", r.Lines)
		}
	})
	t.Run("display cap in runes", func(t *testing.T) {
		in := "250 " + strings.Repeat("é", 2000) + "\r\n"
		r, err := readReply(bufio.NewReaderSize(strings.NewReader(in), 4098), 4096, 10)
		if err != nil {
			t.Fatal(err)
		}
		kept, _, _ := strings.Cut(r.Lines[0], " …[")
		if n := utf8.RuneCountInString(kept); n != DisplayLineMax {
			t.Errorf("kept %d runes", n)
		}
		if !strings.HasSuffix(r.Lines[0], " …[2012 more bytes cut]") {
			t.Errorf("note: %q", r.Lines[0][len(r.Lines[0])-30:])
		}
	})
	t.Run("end of stream mid-reply", func(t *testing.T) {
		r, err := readReply(bufio.NewReaderSize(strings.NewReader("250-a\r\n250-b"), 514), 512, 10)
		if err == nil || len(r.Lines) != 1 {
			t.Fatalf("err %v, lines %q", err, r.Lines)
		}
	})
}

func TestReplyMessage(t *testing.T) {
	r := Reply{Code: 550, Enhanced: "5.7.26", Lines: []string{"550-5.7.26 This mail is", "550-5.7.26 unauthenticated.", "550 5.7.26 Bye"}}
	if got := r.Message(); got != "This mail is unauthenticated. Bye" {
		t.Errorf("Message() = %q", got)
	}
	r = Reply{Code: 250, Lines: []string{"250"}}
	if r.Message() != "" || !r.Positive() {
		t.Errorf("%q", r.Message())
	}
}

func TestParseCapabilities(t *testing.T) {
	r := Reply{Code: 250, Lines: []string{
		"250-mx.example.com at your service, [192.0.2.1]",
		"250-SIZE 35882577",
		"250-8BITMIME",
		"250-STARTTLS",
		"250-AUTH LOGIN PLAIN XOAUTH2",
		"250-AUTH=LOGIN CRAM-MD5",
		"250-ENHANCEDSTATUSCODES",
		"250-PIPELINING",
		"250-CHUNKING",
		"250-smtputf8",
		"250 DSN",
	}}
	c := parseCapabilities(r)
	if !c.ESMTP || c.Domain != "mx.example.com" || c.Size != 35882577 || !c.EightBit || !c.StartTLS || !c.Enhanced ||
		!c.Pipelining || !c.Chunking || !c.SMTPUTF8 || !c.DSN || c.RequireTLS {
		t.Errorf("capabilities = %+v", c)
	}
	if !slices.Equal(c.Auth, []string{"LOGIN", "PLAIN", "XOAUTH2", "CRAM-MD5"}) {
		t.Errorf("auth = %q", c.Auth)
	}
	if !c.Has("size") || c.Keywords["AUTH"] != "LOGIN PLAIN XOAUTH2 LOGIN CRAM-MD5" || len(c.Order) != 9 {
		t.Errorf("keywords = %q order %q", c.Keywords, c.Order)
	}
}

func TestFormatMarksDirectionAndTLS(t *testing.T) {
	tests := []struct {
		e    Event
		want string
	}{
		{Event{Kind: KindConnect, Lines: []string{"Trying x:25..."}}, "   0.000s === Trying x:25..."},
		{Event{Kind: KindSent, Lines: []string{"EHLO a"}}, "   0.000s ->  EHLO a"},
		{Event{Kind: KindReceived, Lines: []string{"250 ok"}}, "   0.000s <-  250 ok"},
		{Event{Kind: KindSent, Secure: true, Lines: []string{"QUIT"}}, "   0.000s ~>  QUIT"},
		{Event{Kind: KindReceived, Secure: true, Lines: []string{"221 bye"}}, "   0.000s <~  221 bye"},
		{Event{Kind: KindInfo, Source: FromClient, Lines: []string{"note"}}, "   0.000s »   note"},
		{Event{Kind: KindError, Source: FromClient, Err: "bad\x1b[2J"}, `   0.000s »   bad\e[2J`},
		// An MTA's own lines, its "**" included, and the demo world's
		// are marked by their source, never as mailcred's notes.
		{Event{Kind: KindInfo, Source: FromExim, Lines: []string{"** b@example.org R=dnslookup: 550 no"}}, "   0.000s mta ** b@example.org R=dnslookup: 550 no"},
		{Event{Kind: KindError, Source: FromPostfix, Err: "status=bounced"}, "   0.000s mta status=bounced"},
		{Event{Kind: KindInfo, Source: FromSendmail, Lines: []string{"** x"}}, "   0.000s mta ** x"},
		{Event{Kind: KindDone, Source: FromExim, Lines: []string{"exim: frozen"}}, "   0.000s mta exim: frozen"},
		{Event{Kind: KindInfo, Source: FromWorld, Lines: []string{"local MTA: ** x"}}, "   0.000s ◆   local MTA: ** x"},
		{Event{Kind: KindReceived, Source: FromExim, Lines: []string{"250 ok"}}, "   0.000s <-  250 ok"},
		{Event{Kind: KindConnect, Source: FromClient, Lines: []string{"Running sendmail"}}, "   0.000s === Running sendmail"},
		{Event{Kind: KindTLS, Secure: true, Lines: []string{"TLS started"}}, "   0.000s === TLS started"},
		{Event{Kind: KindDone, At: 12345 * 1e6, Lines: []string{"Connection closed"}}, "  12.345s === Connection closed"},
		{Event{Kind: KindSent}, "   0.000s ->  "},
	}
	for _, tc := range tests {
		if got := Format(tc.e); got != tc.want {
			t.Errorf("Format(%v) = %q, want %q", tc.e.Kind, got, tc.want)
		}
	}
}

// FuzzReadReply feeds arbitrary server output to the reply reader: it must
// never panic, never exceed its caps, and never let a control character
// through. Seeds are in testdata/fuzz/FuzzReadReply.
func FuzzReadReply(f *testing.F) {
	for _, s := range []string{
		"250 ok\r\n",
		"250-a\r\n250 b\r\n",
		"550-5.7.26 x\r\n550 5.7.26 y\r\n",
		"220 \x1b]52;c;AAAA\x07\r\n",
		strings.Repeat("250-x\r\n", 20),
		"250 " + strings.Repeat("z", 700) + "\r\n",
	} {
		f.Add([]byte(s))
	}
	const maxLine, maxLines = 512, 10
	f.Fuzz(func(t *testing.T, data []byte) {
		br := bufio.NewReaderSize(strings.NewReader(string(data)), maxLine+2)
		for range 50 {
			r, err := readReply(br, maxLine, maxLines)
			if len(r.Lines) > maxLines {
				t.Fatalf("%d lines", len(r.Lines))
			}
			for _, l := range r.Lines {
				if i := strings.IndexFunc(l, unsafeRune); i >= 0 {
					t.Fatalf("unsafe character in %q", l)
				}
				if len(l) > 4*maxLine+40 {
					t.Fatalf("line of %d bytes", len(l))
				}
			}
			if err != nil {
				return
			}
			if r.Code < 200 || r.Code > 599 || len(r.Lines) == 0 {
				t.Fatalf("reply %+v", r)
			}
			if r.Enhanced != "" && int(r.Enhanced[0]-'0') != r.Code/100 {
				t.Fatalf("enhanced %q for %d", r.Enhanced, r.Code)
			}
			_ = r.Message()
		}
	})
}

func TestKindAndSourceNamesRoundTrip(t *testing.T) {
	for s := FromWire; s <= FromWorld; s++ {
		b, _ := s.MarshalText()
		var back Source
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("source %v: %q -> %v, %v", s, b, back, err)
		}
	}
	for k := KindConnect; k <= KindDone; k++ {
		b, _ := k.MarshalText()
		var back Kind
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Errorf("kind %v: %q -> %v, %v", k, b, back, err)
		}
	}
	var s Source
	if err := s.UnmarshalText([]byte("**")); err == nil {
		t.Error("an unknown source name was accepted")
	}
}
