package sign

import (
	"strconv"
	"strings"
	"time"

	"github.com/mailcred/mailcred/scoring/headers"
)

// sigField is one DKIM-Signature field of a message.
type sigField struct {
	raw  string            // the field as written, lines joined with CRLF
	tags map[string]string // tag → value, white space removed (RFC 6376 §3.2)
}

// signatures returns the DKIM-Signature fields, top to bottom: the order
// go-msgauth reports its verifications in.
func signatures(m *headers.Message) []sigField {
	var out []sigField
	for _, f := range m.Get("DKIM-Signature") {
		out = append(out, sigField{raw: f.Raw, tags: tagList(f.Value)})
	}
	return out
}

// tagList reads a tag-list (RFC 6376 §3.2) leniently: it is only used to
// describe signatures, never to decide whether one verifies. The first
// occurrence of a tag wins.
func tagList(v string) map[string]string {
	tags := map[string]string{}
	for _, part := range strings.Split(v, ";") {
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		name = strings.TrimSpace(name)
		if _, seen := tags[name]; seen || name == "" {
			continue
		}
		tags[name] = stripFWS(value)
	}
	return tags
}

// stripFWS removes folding white space, which RFC 6376 §3.2 lets appear
// anywhere in tag values that are base64 or lists.
func stripFWS(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
}

func splitColon(h string) []string {
	if h == "" {
		return nil
	}
	parts := strings.Split(h, ":")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}

func unixTag(v string) time.Time {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}
