package explain

import "github.com/mailcred/mailcred/scoring/smtpx"

// yahooCases are Yahoo's and AOL's replies (the codes Yahoo
// publishes for Yahoo and AOL; wording from go-sisimai rhost/for-yahooinc.go).
func yahooCases() []replyCase {
	return []replyCase{
		{
			name:  "yahoo 421 4.7.0 TSS04 at MAIL FROM",
			stage: smtpx.MAIL,
			text: "421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred due to unexpected volume " +
				"or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
			id: "yahoo.tss04", outcome: smtpx.Deferred, category: "throttle",
			checks: []string{"spf.result", "dmarc.record", "blocklist.ip"},
		},
		{
			name:  "yahoo 421 4.7.0 TSS04 at end of data",
			stage: smtpx.EndOfData,
			text:  "421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred due to unexpected volume or user complaints",
			id:    "yahoo.tss04", outcome: smtpx.Deferred, category: "throttle",
			checks: []string{"spf.result", "dkim.signature", "dmarc.record", "dmarc.alignment", "blocklist.ip"},
		},
		{
			name:  "yahoo 421 4.7.0 TSS02 older code",
			stage: smtpx.MAIL,
			text:  "421 4.7.0 [TSS02] Messages from 192.0.2.25 temporarily deferred due to user complaints - 4.16.55.1",
			id:    "yahoo.tss-older", outcome: smtpx.Deferred, category: "throttle", checks: []string{"spf.result", "blocklist.ip"},
		},
		{
			name:  "yahoo 421 4.7.0 TS01 older code",
			stage: smtpx.Connect,
			text:  "421 4.7.0 [TS01] Messages from 192.0.2.25 temporarily deferred due to excessive user complaints",
			id:    "yahoo.tss-older", outcome: smtpx.Deferred, category: "throttle", checks: []string{"blocklist.ip"},
		},
		{
			name:  "yahoo 553 5.7.2 TSS09 permanently deferred",
			stage: smtpx.MAIL,
			text: "553 5.7.2 [TSS09] All messages from 192.0.2.25 will be permanently deferred; Retrying will " +
				"NOT succeed. See https://postmaster.yahooinc.com/error-codes",
			id: "yahoo.tss09", outcome: smtpx.Rejected, category: "provider-block", checks: []string{"blocklist.ip", "spf.result"},
		},
		{
			name:  "yahoo 553 5.7.2 TSS11 permanently deferred",
			stage: smtpx.MAIL,
			text:  "553 5.7.2 [TSS11] All messages from 192.0.2.25 will be permanently deferred; Retrying will NOT succeed.",
			id:    "yahoo.tss09", outcome: smtpx.Rejected, category: "provider-block", checks: []string{"blocklist.ip", "spf.result"},
		},
		{
			name:  "yahoo 553 5.7.1 BL21 Spamhaus at connect",
			stage: smtpx.Connect,
			text: "553 5.7.1 [BL21] Connections will not be accepted from 192.0.2.25, because the ip is in " +
				"Spamhaus's list; see http://postmaster.yahoo.com/550-bl23.html",
			id: "yahoo.bl21", outcome: smtpx.Rejected, category: "dnsbl", checks: []string{"blocklist.ip"},
		},
		{
			name:  "yahoo 553 5.7.1 BL23 Spamhaus XBL",
			stage: smtpx.Connect,
			text: "553 5.7.1 [BL23] Connections not accepted from IP addresses on Spamhaus XBL; see " +
				"http://postmaster.yahoo.com/errors/550-bl23.html [550]",
			id: "yahoo.bl23", outcome: smtpx.Rejected, category: "dnsbl", checks: []string{"blocklist.ip"},
		},
		{
			name:  "yahoo 554 PH01 content",
			stage: smtpx.EndOfData,
			text:  "554 Message not allowed - [PH01] Email not accepted for policy reasons.  Please visit https://postmaster.yahooinc.com/error-codes",
			id:    "yahoo.ph01", outcome: smtpx.Rejected, category: "content", checks: []string{"blocklist.domain"},
		},
		{
			name:  "yahoo 554 5.7.9 policy reasons (DMARC)",
			stage: smtpx.EndOfData,
			text:  "554 5.7.9 Message not accepted for policy reasons.  See https://postmaster.yahooinc.com/error-codes",
			id:    "yahoo.policy-dmarc", outcome: smtpx.Rejected, category: "auth",
			checks: []string{"dmarc.record", "dmarc.alignment", "dkim.signature", "spf.result"},
		},
		{
			name:  "yahoo 550 5.7.9 unauthenticated",
			stage: smtpx.EndOfData,
			text: "550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo requires " +
				"all senders to authenticate with either SPF or DKIM.",
			id: "yahoo.unauthenticated", outcome: smtpx.Rejected, category: "auth",
			checks: []string{"spf.record", "spf.result", "dkim.record", "dkim.signature"},
		},
		{
			name:  "yahoo 451 unresolvable RFC.5321 from domain at MAIL FROM",
			stage: smtpx.MAIL,
			text: "451 Message temporarily deferred due to unresolvable RFC.5321 from domain. " +
				"See https://senders.yahooinc.com/error-codes#unresolvable-from-domain",
			id: "yahoo.unresolvable-from", outcome: smtpx.Deferred, category: "sender", checks: []string{"mx.record", "spf.record"},
		},
		{
			name:  "yahoo 554 unresolvable RFC.5321 from domain",
			stage: smtpx.MAIL,
			text:  "554 Message not accepted due to unresolvable RFC.5321 from domain.",
			id:    "yahoo.unresolvable-from", outcome: smtpx.Rejected, category: "sender", checks: []string{"mx.record", "spf.record"},
		},
		{
			name:  "yahoo 554 no such account at RCPT TO",
			stage: smtpx.RCPT,
			text:  "554 delivery error: dd This user doesn't have a yahoo.com account (someone@yahoo.com) [0] - mta1234.mail.ne1.yahoo.com",
			id:    "yahoo.unknown-user", outcome: smtpx.Rejected, category: "recipient", checks: []string{},
		},
	}
}

// gmxCases are United Internet's replies (GMX, web.de, mail.com). Its
// published SPF and policy texts are fragments; the surrounding lines
// follow the multi-line shape it describes.
func gmxCases() []replyCase {
	return []replyCase{
		{
			name:  "gmx 554 Bad DNS PTR at the greeting",
			stage: smtpx.Connect,
			text: "554-gmx.net (mxgmx114) Nemesis ESMTP Service not available\n" +
				"554-No SMTP service\n" +
				"554-Bad DNS PTR resource record.\n" +
				"554 For explanation visit https://postmaster.gmx.net/en/case?c=r0601&i=ip&v=192.0.2.25&r=1MqJZ0-1s1a2b3c4d",
			id: "gmx.bad-ptr", outcome: smtpx.Rejected, category: "rdns", checks: []string{"rdns.ptr", "rdns.fcrdns"},
		},
		{
			name:  "web.de 554 Bad DNS PTR, older link",
			stage: smtpx.Connect,
			text: "554-web.de (mxweb112) Nemesis ESMTP Service not available\n554-No SMTP service\n" +
				"554-Bad DNS PTR resource record.\n" +
				"554 For explanation visit http://postmaster.web.de/error-messages?ip=192.0.2.25&c=rdns",
			id: "gmx.bad-ptr", outcome: smtpx.Rejected, category: "rdns", checks: []string{"rdns.ptr", "rdns.fcrdns"},
		},
		{
			name:  "gmx 554 IP address is block listed",
			stage: smtpx.Connect,
			text: "554-gmx.net (mxgmx014) Nemesis ESMTP Service not available\n554-No SMTP service\n" +
				"554-IP address is block listed.\n" +
				"554 For explanation visit https://postmaster.gmx.net/en/case?c=r0303&i=ip&v=192.0.2.25&r=0MWjxh-1rT",
			id: "gmx.ip-blocklisted", outcome: smtpx.Rejected, category: "provider-block", checks: []string{"blocklist.ip"},
		},
		{
			name:  "gmx 550 Reject due to SPF policy",
			stage: smtpx.MAIL,
			text: "550-Requested action not taken: mailbox unavailable\n550-Reject due to SPF policy\n" +
				"550 For explanation visit https://postmaster.gmx.net/en/case?c=...&i=ip&v=192.0.2.25",
			id: "gmx.spf", outcome: smtpx.Rejected, category: "auth", checks: []string{"spf.record", "spf.result"},
		},
		{
			name:  "gmx 554 Transaction failed, policy restrictions after DATA",
			stage: smtpx.EndOfData,
			text: "554-Transaction failed\n554-Reject due to policy restrictions.\n" +
				"554 For explanation visit https://postmaster.gmx.net/en/case?c=hi&i=ip&v=192.0.2.25&r=1M2N3O",
			id: "gmx.policy-restrictions", outcome: smtpx.Rejected, category: "policy",
			checks: []string{"headers.date", "headers.from", "headers.message-id", "dkim.signature"},
		},
	}
}

// icloudCases are Apple iCloud Mail's replies (wording
// from go-sisimai rhost/for-apple.go).
func icloudCases() []replyCase {
	return []replyCase{
		{
			name:  "icloud 554 5.7.1 HME1 failing SPF and DKIM",
			stage: smtpx.EndOfData,
			text: "554 5.7.1 [HME1] This message was blocked for failing both SPF and DKIM authentication " +
				"checks. See https://support.apple.com/en-us/HT204137 for mailing best practices",
			id: "icloud.hme1", outcome: smtpx.Rejected, category: "auth",
			checks: []string{"spf.record", "spf.result", "dkim.record", "dkim.signature"},
		},
		{
			name:  "icloud 554 5.7.1 DMARC policy",
			stage: smtpx.EndOfData,
			text:  "554 5.7.1 Your message was rejected due to example.org's DMARC policy. See https://support.apple.com/en-us/HT204137 for",
			id:    "icloud.dmarc-policy", outcome: smtpx.Rejected, category: "auth",
			checks: []string{"dmarc.record", "dmarc.alignment", "spf.result", "dkim.signature"},
		},
		{
			name:  "icloud 550 5.7.1 CS01 local policy",
			stage: smtpx.EndOfData,
			text:  "550 5.7.1 [CS01] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137",
			id:    "icloud.cs01", outcome: smtpx.Rejected, category: "content",
			checks: []string{"blocklist.domain", "blocklist.ip", "dkim.signature"},
		},
		{
			name:  "icloud 550 5.7.1 HM08 local policy",
			stage: smtpx.EndOfData,
			text:  "550 5.7.1 [HM08] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137",
			id:    "icloud.hm08", outcome: smtpx.Rejected, category: "policy",
			checks: []string{"spf.result", "dkim.signature", "dmarc.alignment", "blocklist.ip"},
		},
		{
			name:  "icloud 550 5.7.0 Proofpoint block at the greeting",
			stage: smtpx.Connect,
			text:  "550 5.7.0 Blocked - see https://support.proofpoint.com/dnsbl-lookup.cgi?ip=192.0.2.25",
			id:    "icloud.proofpoint", outcome: smtpx.Rejected, category: "provider-block", checks: []string{"blocklist.ip"},
		},
		{
			name:  "icloud 550 5.7.1 Spamhaus SBL at RCPT TO",
			stage: smtpx.RCPT,
			text: "550 5.7.1 Mail from IP 192.0.2.25 was rejected due to listing in Spamhaus SBL. For details " +
				"please see http://www.spamhaus.org/query/bl?ip=192.0.2.25",
			id: "icloud.spamhaus", outcome: smtpx.Rejected, category: "dnsbl", checks: []string{"blocklist.ip", "blocklist.domain"},
		},
		{
			name:  "icloud 550 5.7.1 Spamhaus DBL after DATA",
			stage: smtpx.EndOfData,
			text:  "550 5.7.1 Your email was rejected due to having a domain present in the Spamhaus DBL -- see https://www.spamhaus.org/dbl/",
			id:    "icloud.spamhaus", outcome: smtpx.Rejected, category: "dnsbl", checks: []string{"blocklist.ip", "blocklist.domain"},
		},
		{
			name:  "icloud 421 4.7.1 excessive volume",
			stage: smtpx.RCPT,
			text:  "421 4.7.1 Messages to someone@icloud.com deferred due to excessive volume. Try again later - https://support.apple.com/en-us/HT204137",
			id:    "icloud.excessive-volume", outcome: smtpx.Deferred, category: "throttle", checks: []string{},
		},
	}
}
