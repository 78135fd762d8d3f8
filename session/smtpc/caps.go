package smtpc

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/mailcred/mailcred/scoring/smtpx"
)

// Capabilities are the service extensions a server announced in its EHLO
// reply (RFC 5321 §4.1.1.1), parsed. Values are sanitised server text.
type Capabilities struct {
	ESMTP      bool              // EHLO was accepted; false after the HELO fallback
	Domain     string            // the name the server gave on the first EHLO line
	Keywords   map[string]string // every keyword, upper case, to its parameters ("SIZE" → "35882577")
	Order      []string          // keywords in the order announced
	Size       int64             // SIZE limit (RFC 1870); 0 when none was given
	StartTLS   bool              // STARTTLS (RFC 3207)
	Auth       []string          // AUTH mechanisms, upper case (RFC 4954)
	Pipelining bool              // PIPELINING (RFC 2920)
	EightBit   bool              // 8BITMIME (RFC 6152)
	SMTPUTF8   bool              // SMTPUTF8 (RFC 6531)
	Enhanced   bool              // ENHANCEDSTATUSCODES (RFC 2034)
	Chunking   bool              // CHUNKING (RFC 3030)
	DSN        bool              // DSN (RFC 3461)
	RequireTLS bool              // REQUIRETLS (RFC 8689)
}

// Has reports whether keyword (any case) was announced.
func (c Capabilities) Has(keyword string) bool {
	_, ok := c.Keywords[strings.ToUpper(keyword)]
	return ok
}

// Capabilities returns what the last EHLO announced. After STARTTLS it is
// what the server announced under TLS (RFC 3207 §4.2).
func (c *Client) Capabilities() Capabilities { return c.caps }

// Hello identifies the client with EHLO; when the server refuses EHLO with
// a 5xx reply it falls back to HELO (RFC 5321 §3.2, §4.1.1.1). Both are
// smtpx.EHLO.
func (c *Client) Hello(ctx context.Context) (Capabilities, error) {
	r, err := c.exchange(ctx, smtpx.EHLO, "EHLO "+c.o.HELO, "EHLO "+c.o.HELO, c.o.Timeouts.Command)
	if err != nil {
		return Capabilities{}, err
	}
	if r.Positive() {
		c.caps = parseCapabilities(r)
		return c.caps, nil
	}
	if r.Code/100 != 5 {
		return Capabilities{}, c.refused(smtpx.EHLO, r)
	}
	c.emit(Event{Kind: KindInfo, Lines: []string{"EHLO refused; trying HELO (RFC 5321 §3.2)"}})
	r, err = c.exchange(ctx, smtpx.EHLO, "HELO "+c.o.HELO, "HELO "+c.o.HELO, c.o.Timeouts.Command)
	if err != nil {
		return Capabilities{}, err
	}
	if !r.Positive() {
		return Capabilities{}, c.refused(smtpx.EHLO, r)
	}
	c.caps = Capabilities{Keywords: map[string]string{}}
	if t := r.Text(); len(t) > 0 {
		c.caps.Domain = firstWord(t[0])
	}
	return c.caps, nil
}

// parseCapabilities reads an EHLO reply: the first line is the server's
// name and greeting, each further line "KEYWORD [params]" (RFC 5321 §4.1.1.1).
func parseCapabilities(r Reply) Capabilities {
	c := Capabilities{ESMTP: true, Keywords: map[string]string{}}
	lines := r.Text()
	if len(lines) == 0 {
		return c
	}
	c.Domain = firstWord(lines[0])
	for _, l := range lines[1:] {
		kw, params, _ := strings.Cut(strings.TrimSpace(l), " ")
		// Old servers announce "AUTH=LOGIN PLAIN" (pre-RFC 4954 syntax).
		if k, v, ok := strings.Cut(kw, "="); ok && strings.EqualFold(k, "AUTH") {
			kw, params = k, strings.TrimSpace(v+" "+params)
		}
		kw = strings.ToUpper(kw)
		if kw == "" {
			continue
		}
		params = strings.TrimSpace(params)
		if old, seen := c.Keywords[kw]; seen {
			if kw == "AUTH" && params != "" {
				c.Keywords[kw] = strings.TrimSpace(old + " " + params)
			}
		} else {
			c.Keywords[kw] = params
			c.Order = append(c.Order, kw)
		}
		switch kw {
		case "SIZE":
			if n, err := strconv.ParseInt(params, 10, 64); err == nil && n > 0 {
				c.Size = n
			}
		case "STARTTLS":
			c.StartTLS = true
		case "AUTH":
			for _, m := range strings.Fields(strings.ToUpper(params)) {
				if !slices.Contains(c.Auth, m) {
					c.Auth = append(c.Auth, m)
				}
			}
		case "PIPELINING":
			c.Pipelining = true
		case "8BITMIME":
			c.EightBit = true
		case "SMTPUTF8":
			c.SMTPUTF8 = true
		case "ENHANCEDSTATUSCODES":
			c.Enhanced = true
		case "CHUNKING":
			c.Chunking = true
		case "DSN":
			c.DSN = true
		case "REQUIRETLS":
			c.RequireTLS = true
		}
	}
	return c
}
