package dkim

import (
	"strconv"
	"strings"
	"time"

	"github.com/mailcred/mailcred/scoring/headers"
)

// Claim is what one DKIM-Signature field says about itself, read
// leniently: it describes a signature (for the DKIM pane, the signer's
// Info), never decides whether one verifies — go-msgauth does that.
type Claim struct {
	Field            string   // the field as written, lines joined with CRLF
	Domain           string   // d=
	Selector         string   // s=
	Algorithm        string   // a=
	Canonicalization string   // c=
	Headers          []string // h=
	BodyHash         string   // bh=
	Time             time.Time
}

// Claims returns the DKIM-Signature fields of m, top to bottom: the order
// go-msgauth reports its verifications in.
func Claims(m *headers.Message) []Claim {
	var out []Claim
	for _, f := range m.Get("DKIM-Signature") {
		t := tagMap(f.Value)
		out = append(out, Claim{
			Field:            f.Raw,
			Domain:           t["d"],
			Selector:         t["s"],
			Algorithm:        t["a"],
			Canonicalization: t["c"],
			Headers:          splitList(t["h"]),
			BodyHash:         t["bh"],
			Time:             unixTag(t["t"]),
		})
	}
	return out
}

// tagMap reads a tag-list (RFC 6376 §3.2) leniently, unlike
// parseTagList, which judges key records: the first occurrence of a tag
// wins and values lose their folding white space.
func tagMap(v string) map[string]string {
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

func unixTag(v string) time.Time {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}
