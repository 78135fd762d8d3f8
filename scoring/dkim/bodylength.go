package dkim

// Signatures with a body length (l=, RFC 6376 §3.5): go-msgauth refuses
// every one outright ("insecure body length tag"), while the common
// verifiers (dkimpy, OpenDKIM, mailauth) verify the first l octets of the
// canonicalized body and pass. A receiver that verifies the signature but
// will not accept content appended after l= reports dkim=policy (RFC 8601
// §2.7.1: "signed, but some aspect ... was not acceptable"). So a
// signature carrying l= is verified here, by the same steps go-msgauth
// takes (RFC 6376 §3.4 canonicalization, §3.7 hashes), and judged: pass
// when l= covers the whole body, policy when content follows it.

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/mailcred/mailcred/scoring/headers"
)

// errBodyLength is go-msgauth's refusal of any signature with l=.
const errBodyLength = "insecure body length tag"

// verifyBodyLength verifies the signature in field (raw, as written) of
// msg with the body limited to l=, fetching the key through lookup.
func verifyBodyLength(msg []byte, field string, lookup func(string) ([]string, error)) (Status, Failure, string) {
	name, value, ok := strings.Cut(field, ":")
	if !ok || !strings.EqualFold(strings.TrimSpace(name), "DKIM-Signature") {
		return PermError, SignatureUnusable, "not a DKIM-Signature field"
	}
	tags := tagMap(value)
	l, err := strconv.ParseInt(tags["l"], 10, 64)
	if err != nil || l < 0 {
		return PermError, SignatureUnusable, fmt.Sprintf("l=%q is not a number of octets (RFC 6376 §3.5)", tags["l"])
	}
	if tags["a"] != "rsa-sha256" && tags["a"] != "ed25519-sha256" {
		return PermError, SignatureUnusable, fmt.Sprintf("a=%s is not accepted (RFC 8301 §3.1: rsa-sha256 or ed25519-sha256)", tags["a"])
	}
	hc, bc, _ := strings.Cut(tags["c"], "/")
	if hc == "" {
		hc = "simple"
	}
	if bc == "" {
		bc = "simple"
	}
	if (hc != "simple" && hc != "relaxed") || (bc != "simple" && bc != "relaxed") {
		return PermError, SignatureUnusable, "unknown canonicalization " + tags["c"]
	}
	m := headers.Parse(msg)
	body := canonBody(m.Body, bc)
	if l > int64(len(body)) {
		return Fail, BodyHashMismatch, fmt.Sprintf("body hash did not verify: l=%d but the canonicalized body has %d octets", l, len(body))
	}
	want, err := base64.StdEncoding.DecodeString(tags["bh"])
	if err != nil {
		return PermError, SignatureUnusable, "malformed body hash"
	}
	got := sha256.Sum256(body[:l])
	if subtle.ConstantTimeCompare(got[:], want) != 1 {
		return Fail, BodyHashMismatch, "body hash did not verify"
	}

	// The header hash: the h= fields bottom-up, then this field with its
	// b= value emptied and no final CRLF (RFC 6376 §3.7, §5.4.2).
	h := sha256.New()
	used := map[int]bool{}
	for _, hn := range splitList(tags["h"]) {
		for i := len(m.Fields) - 1; i >= 0; i-- {
			if !used[i] && strings.EqualFold(m.Fields[i].Name, hn) {
				used[i] = true
				h.Write([]byte(canonHeader(m.Fields[i].Raw+"\r\n", hc)))
				break
			}
		}
	}
	h.Write([]byte(strings.TrimSuffix(canonHeader(emptyB(field), hc), "\r\n")))
	sig, err := base64.StdEncoding.DecodeString(tags["b"])
	if err != nil {
		return PermError, SignatureUnusable, "malformed signature"
	}
	txts, err := lookup(tags["s"] + "._domainkey." + tags["d"])
	if err != nil || len(txts) == 0 {
		return PermError, KeyUnusable, "no key for signature"
	}
	rec, _, err := ParseKeyRecord(strings.Join(txts, ""))
	if err != nil || rec.PublicKey == nil {
		return PermError, KeyUnusable, "the key record cannot be used"
	}
	sum := h.Sum(nil)
	switch pub := rec.PublicKey.(type) {
	case *rsa.PublicKey:
		if tags["a"] != "rsa-sha256" || pub.N.BitLen() < 1024 {
			return PermError, KeyUnusable, "key type or size does not fit the signature"
		}
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum, sig)
	case ed25519.PublicKey:
		if tags["a"] != "ed25519-sha256" || !ed25519.Verify(pub, sum, sig) {
			err = fmt.Errorf("ed25519")
		}
	default:
		return PermError, KeyUnusable, "unsupported key type"
	}
	if err != nil {
		return Fail, SignatureMismatch, "signature did not verify"
	}
	if rest := int64(len(body)) - l; rest > 0 {
		return Policy, BodyAppended, fmt.Sprintf("verified for the first %d octets of the body (l=%d); %d octets follow that no "+
			"signature covers, so they could have been added by anyone", l, l, rest)
	}
	return Pass, NoFailure, ""
}

// emptyB is the DKIM-Signature field with the value of its b= tag
// deleted, everything else as written (RFC 6376 §3.7).
func emptyB(field string) string {
	name, value, _ := strings.Cut(field, ":")
	parts := strings.Split(value, ";")
	for i, p := range parts {
		if strings.TrimLeft(p, " \t\r\n") == "" {
			continue
		}
		if k, _, ok := strings.Cut(p, "="); ok && strings.Trim(k, " \t\r\n") == "b" {
			parts[i] = p[:strings.Index(p, "=")+1]
		}
	}
	return name + ":" + strings.Join(parts, ";") + "\r\n"
}

// canonHeader canonicalizes one field with its CRLF (RFC 6376 §3.4.1,
// §3.4.2).
func canonHeader(field, alg string) string {
	if alg == "simple" {
		return field
	}
	k, v, _ := strings.Cut(field, ":")
	v = strings.Join(strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\n' }), " ")
	return strings.ToLower(strings.TrimSpace(k)) + ":" + v + "\r\n"
}

// canonBody canonicalizes a body (RFC 6376 §3.4.3, §3.4.4): bare LF read
// as CRLF; relaxed folds white-space runs and drops them at line ends;
// both drop trailing empty lines; simple turns an empty body into CRLF.
func canonBody(b []byte, alg string) []byte {
	b = bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
	lines := strings.SplitAfter(string(b), "\r\n")
	var out strings.Builder
	for _, line := range lines {
		if line == "" {
			continue
		}
		if alg == "relaxed" {
			text, nl := strings.CutSuffix(line, "\r\n")
			text = strings.TrimRight(strings.Join(strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == '\t' }), " "), " ")
			if len(strings.TrimLeft(line, " \t")) != len(line) && text != "" {
				text = " " + text // a leading run becomes one space
			}
			line = text
			if nl {
				line += "\r\n"
			}
		}
		out.WriteString(line)
	}
	s := out.String()
	if !strings.HasSuffix(s, "\r\n") && s != "" {
		s += "\r\n"
	}
	for strings.HasSuffix(s, "\r\n\r\n") {
		s = strings.TrimSuffix(s, "\r\n")
	}
	if s == "\r\n" && alg == "relaxed" {
		s = ""
	}
	if s == "" && alg == "simple" {
		s = "\r\n"
	}
	return []byte(s)
}
