package tui

import (
	"context"
	"errors"
	"regexp"
	"strings"
)

// inWords puts an error a person will read into words: Go's own error
// texts ("dial tcp 192.0.2.1:25: connect: connection refused", "i/o
// timeout") say what failed in the terms of the code, not of the user.
func inWords(err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	}
	return textInWords(err.Error())
}

var (
	dialRe    = regexp.MustCompile(`dial (?:tcp|tcp4|tcp6|udp) ([^ :]+:[0-9]+|\[[^\]]+\]:[0-9]+): (?:connect: )?`)
	readRe    = regexp.MustCompile(`(?:read|write) (?:tcp|udp) [^ ]+->([^ ]+): `)
	lookupRe  = regexp.MustCompile(`lookup ([^ ]+)(?: on [^ ]+)?: `)
	wordsList = []struct{ raw, words string }{
		{"connection refused", "the connection was refused (nothing listens there, or a firewall refuses)"},
		{"i/o timeout", "no answer in time (a firewall may drop the traffic)"},
		{"no route to host", "no route to that address"},
		{"network is unreachable", "that network cannot be reached from here"},
		{"connection reset by peer", "the server dropped the connection"},
		{"no such host", "no such name in DNS"},
		{"server misbehaving", "the DNS server failed to answer"},
		{"context deadline exceeded", "timed out"},
		{"context canceled", "cancelled"},
		{"EOF", "the server closed the connection"},
	}
)

// textInWords rewrites the raw Go error texts found in s.
func textInWords(s string) string {
	s = dialRe.ReplaceAllString(s, "could not connect to $1: ")
	s = readRe.ReplaceAllString(s, "talking to $1: ")
	s = lookupRe.ReplaceAllString(s, "looking up $1: ")
	for _, w := range wordsList {
		if strings.HasSuffix(s, w.raw) {
			return strings.TrimSuffix(s, w.raw) + w.words
		}
	}
	return s
}
