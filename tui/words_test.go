package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

func TestRawGoErrorsInWords(t *testing.T) {
	for raw, want := range map[string]string{
		"send: dial tcp 192.0.2.1:25: connect: connection refused":        "send: could not connect to 192.0.2.1:25: the connection was refused",
		"dial tcp [2001:db8::1]:25: i/o timeout":                          "could not connect to [2001:db8::1]:25: no answer in time",
		"lookup mx.example.com on 127.0.0.1:53: no such host":             "looking up mx.example.com: no such name in DNS",
		"read tcp 127.0.0.1:4000->127.0.0.2:25: connection reset by peer": "talking to 127.0.0.2:25: the server dropped the connection",
	} {
		got := inWords(fmt.Errorf("%s", raw))
		if !strings.HasPrefix(got, want) {
			t.Errorf("%q\n got %q\nwant %q…", raw, got, want)
		}
	}
	if got := inWords(fmt.Errorf("send: %w", context.Canceled)); got != "cancelled" {
		t.Errorf("a cancelled send reads %q", got)
	}
}
