package smtpc

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRunSendmail(t *testing.T) {
	script, err := filepath.Abs("testdata/fake-sendmail")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "sent")
	t.Setenv("FAKE_SENDMAIL_OUT", out)

	t.Run("the message is piped and the output streamed", func(t *testing.T) {
		t.Setenv("FAKE_SENDMAIL_EXIT", "0")
		rec := &recorder{}
		args := SendmailArgs("a@sender.test", []string{"b@rcpt.test", "-oi@evil.test"})
		if err := RunSendmail(context.Background(), script, args, []byte(testMessage), rec.add); err != nil {
			t.Fatal(err)
		}
		gotArgs, _ := os.ReadFile(out + ".args")
		if want := "-v\n-i\n-f\na@sender.test\n--\nb@rcpt.test\n-oi@evil.test\n"; string(gotArgs) != want {
			t.Errorf("args %q, want %q", gotArgs, want)
		}
		msg, _ := os.ReadFile(out + ".msg")
		if string(msg) != strings.ReplaceAll(testMessage, "\r\n", "\n") {
			t.Errorf("message %q", msg)
		}
		ev := rec.all()
		if ev[0].Kind != KindConnect || !strings.HasPrefix(ev[0].Lines[0], "Running "+script+" -v -i -f a@sender.test --") {
			t.Errorf("first event %+v", ev[0])
		}
		if last := ev[len(ev)-1]; last.Kind != KindDone || last.Lines[0] != "sendmail exited with status 0" {
			t.Errorf("last event %+v", last)
		}
		var info []string
		for _, e := range ev {
			if e.Kind == KindInfo {
				info = append(info, e.Lines...)
			}
		}
		for _, want := range []string{"LOG: MAIN", "  <= a@sender.test U=test P=local S=56", `  SMTP<< 220 mx.rcpt.test \e]52;c;cm0gLXJmIH4K\x07 ESMTP`, "warning: stderr line", "no final newline"} {
			if !slices.Contains(info, want) {
				t.Errorf("output lacks %q: %q", want, info)
			}
		}
		assertClean(t, ev)
	})

	t.Run("a failing sendmail names its exit status", func(t *testing.T) {
		t.Setenv("FAKE_SENDMAIL_EXIT", "75")
		rec := &recorder{}
		err := RunSendmail(context.Background(), script, SendmailArgs("a@b", []string{"c@d"}), []byte(testMessage), rec.add)
		if err == nil || !strings.Contains(err.Error(), "exit status 75 (temporary failure, try again later)") {
			t.Fatalf("err = %v", err)
		}
		if !strings.Contains(rec.transcript(), "»   sendmail "+script+": exit status 75") {
			t.Errorf("transcript:\n%s", rec.transcript())
		}
	})

	t.Run("a missing program is an error", func(t *testing.T) {
		if err := RunSendmail(context.Background(), filepath.Join(t.TempDir(), "none"), nil, nil, nil); err == nil {
			t.Fatal("no error")
		}
	})
}

func TestLineEmitterCapsLongLines(t *testing.T) {
	var lines []string
	w := &lineEmitter{emit: func(e Event) { lines = append(lines, e.Lines...) }}
	w.Write([]byte(strings.Repeat("a", 3000)))
	w.Write([]byte(strings.Repeat("b", 3000) + "\nshort\n"))
	w.flush()
	if len(lines) != 2 || lines[1] != "short" || !strings.HasSuffix(lines[0], " …[5002 more bytes cut]") || len(w.buf) != 0 {
		t.Errorf("%d lines: %.40q… %q", len(lines), lines[0], lines[len(lines)-1])
	}
	if cap(w.buf) > 2*maxLocalLine {
		t.Errorf("buffer grew to %d", cap(w.buf))
	}
}
