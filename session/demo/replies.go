package demo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/mailcred/mailcred/session/smtptest"
)

// replyText is a provider's reply as data. Lines hold placeholders —
// {ip} the source address, {domain} the MAIL FROM domain, {rcpt} the
// recipient, {ref} a reference id — filled in when sent. With perLine the
// enhanced code starts every line, as Gmail writes it; otherwise it ends
// up on the last line only, or nowhere when empty (GMX sends none).
type replyText struct {
	code     int
	enhanced string
	perLine  bool
	lines    []string
	source   string // where the wording comes from
}

// replyTable holds every refusal the demo's providers give, keyed by the
// session/explain entry id that explains it (tests hold the two together).
func replyTable() map[string]replyText {
	return map[string]replyText{
		"gmail.ipv6-guidelines": {
			code: 550, enhanced: "5.7.1", perLine: true,
			lines: []string{
				"[{ip}] Our system has detected that this message does",
				"not meet IPv6 sending guidelines regarding PTR records and",
				"authentication. Please review",
				" https://support.google.com/mail/?p=IPv6AuthError for more information",
				". {ref} - gsmtp",
			},
			source: "support.google.com/mail/answer/81126 (IPv6 PTR and authentication); wrapping as Gmail sends it",
		},
		"gmail.unauthenticated": {
			code: 550, enhanced: "5.7.26", perLine: true,
			lines: []string{
				"This mail has been blocked because the sender is unauthenticated.",
				"Gmail requires all senders to authenticate with either SPF or DKIM.",
				"",
				" Authentication results:",
				" DKIM = did not pass",
				" SPF [{domain}] with ip: [{ip}] = did not pass",
				"",
				" For instructions on setting up authentication, go to",
				" https://support.google.com/mail/answer/81126#authentication {ref} - gsmtp",
			},
			source: "support.google.com/a/answer/3726730 (Gmail 5.7.26)",
		},
		"gmail.dmarc-policy": {
			code: 550, enhanced: "5.7.26", perLine: true,
			lines: []string{
				"Unauthenticated email from {domain} is not accepted due to",
				"domain's DMARC policy. Please contact the administrator of",
				"{domain} domain if this was a legitimate mail. To learn about",
				"the DMARC initiative, go to",
				" https://support.google.com/mail/?p=DmarcRejection {ref} - gsmtp",
			},
			source: "support.google.com/a/answer/3726730 (Gmail 5.7.26, DMARC)",
		},
		"outlook.s3140": {
			code: 550, enhanced: "5.7.1",
			lines: []string{"Unfortunately, messages from [{ip}] weren't sent. Please contact your Internet service " +
				"provider since part of their network is on our block list (S3140). You can also refer your provider " +
				"to http://mail.live.com/mail/troubleshooting.aspx#errors."},
			source: "postmaster.live.com (Outlook.com S3140 block list reply)",
		},
		"outlook.spamhaus": {
			code: 550, enhanced: "5.7.1",
			lines: []string{"Service unavailable, Client host [{ip}] blocked using Spamhaus. To request removal " +
				"from this list see https://www.spamhaus.org/query/ip/{ip} (AS3130). [{ref}]"},
			source: "the shape of Outlook.com's Spamhaus bounces in public samples (unverified)",
		},
		"gmx.bad-ptr": {
			code: 554,
			lines: []string{
				"gmx.example (mxgmx001) Nemesis ESMTP Service not available",
				"No SMTP service",
				"Bad DNS PTR resource record.",
				"For explanation visit https://postmaster.gmx.net/en/case?c=r0601&i=ip&v={ip}&r={ref}",
			},
			source: "postmaster.gmx.com/en/error-messages (gmx.net replaced by the demo's gmx.example)",
		},
		"relay-denied": {
			code: 550, enhanced: "5.7.1",
			lines:  []string{"Relaying denied: this server takes mail for its own domain only, not <{rcpt}>"},
			source: "demo: a receiving MX never relays (RFC 5321 §3.6.2)",
		},
	}
}

// render fills in the placeholders and lays the reply out for smtptest.
func (t replyText) render(vars map[string]string) *smtptest.Reply {
	pairs := make([]string, 0, 2*len(vars))
	for k, v := range vars {
		pairs = append(pairs, "{"+k+"}", v)
	}
	fill := strings.NewReplacer(pairs...)
	r := &smtptest.Reply{Code: t.code}
	for _, l := range t.lines {
		l = fill.Replace(l)
		if t.perLine && t.enhanced != "" {
			l = strings.TrimRight(t.enhanced+" "+l, " ")
		}
		r.Lines = append(r.Lines, l)
	}
	if !t.perLine {
		r.Enhanced = t.enhanced
	}
	return r
}

// reference makes the id a provider prints in a refusal, deterministic for
// a provider, an address and a count.
func reference(provider, ip string, n int) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%d", provider, ip, n)))
	return hex.EncodeToString(sum[:8])
}
