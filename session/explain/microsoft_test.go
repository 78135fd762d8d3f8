package explain

import "github.com/mailcred/mailcred/scoring/smtpx"

// microsoftCases are Outlook.com's and Exchange Online's replies
// (the codes Microsoft publishes for Outlook.com and Exchange Online;
// wording from go-sisimai rhost/for-microsoft.go). The sources give the
// Outlook.com bracket codes (RP-, SC-, DY-, OU-) and 4.7.652, 5.7.705/708
// without their sentences: those texts are in the shape of the S3140 reply,
// and only the code is asserted to matter.
func microsoftCases() []replyCase {
	outlook := func(code, bracket string) string {
		return code + " " + bracket + " (BAY004-MC1F41) Unfortunately, messages from 192.0.2.25 weren't sent. " +
			"Please contact your Internet service provider. You can also refer your provider to " +
			"http://mail.live.com/mail/troubleshooting.aspx#errors."
	}
	ipBlock := []string{"blocklist.ip", "rdns.ptr", "rdns.fcrdns"}
	ip := []string{"blocklist.ip"}
	return []replyCase{
		{
			name:  "outlook S3140 at MAIL FROM",
			stage: smtpx.MAIL,
			text: "550 5.7.1 Unfortunately, messages from [192.0.2.25] weren't sent. Please contact your " +
				"Internet service provider since part of their network is on our block list (S3140). You can " +
				"also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors. " +
				"[AM4PEPF00027A5F.eurprd04.prod.outlook.com 2026-06-01T10:00:00.000Z 08DC8A2B3C4D5E6F]",
			id: "outlook.s3140", outcome: smtpx.Rejected, category: "provider-block", checks: ipBlock,
		},
		{
			name:  "outlook S3150 at MAIL FROM",
			stage: smtpx.MAIL,
			text: "550 5.7.1 Unfortunately, messages from [192.0.2.25] weren't sent. Please contact your " +
				"Internet service provider since part of their network is on our block list (S3150). You can " +
				"also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.",
			id: "outlook.s3150", outcome: smtpx.Rejected, category: "provider-block", checks: ipBlock,
		},
		{name: "outlook 421 RP-001 rate limit", stage: smtpx.MAIL, text: outlook("421", "RP-001"),
			id: "outlook.rp-rate", outcome: smtpx.Deferred, category: "throttle", checks: ip},
		{name: "outlook 421 RP-002 rate limit", stage: smtpx.RCPT, text: outlook("421", "RP-002"),
			id: "outlook.rp-rate", outcome: smtpx.Deferred, category: "throttle", checks: ip},
		{name: "outlook 421 RP-003 connection limit", stage: smtpx.Connect, text: outlook("421", "RP-003"),
			id: "outlook.rp-connections", outcome: smtpx.Deferred, category: "throttle", checks: ip},
		{name: "outlook 550 SC-001 policy or reputation", stage: smtpx.MAIL, text: outlook("550", "SC-001"),
			id: "outlook.sc-001", outcome: smtpx.Rejected, category: "provider-block",
			checks: []string{"blocklist.ip", "blocklist.domain", "spf.result"}},
		{name: "outlook 550 SC-001 at end of data keeps DKIM", stage: smtpx.EndOfData, text: outlook("550", "SC-001"),
			id: "outlook.sc-001", outcome: smtpx.Rejected, category: "provider-block",
			checks: []string{"blocklist.ip", "blocklist.domain", "spf.result", "dkim.signature"}},
		{name: "outlook 550 SC-002 namespace mining", stage: smtpx.RCPT, text: outlook("550", "SC-002"),
			id: "outlook.sc-002", outcome: smtpx.Rejected, category: "provider-block", checks: ip},
		{name: "outlook 550 SC-003 open proxy or relay", stage: smtpx.MAIL, text: outlook("550", "SC-003"),
			id: "outlook.sc-003", outcome: smtpx.Rejected, category: "provider-block", checks: ip},
		{name: "outlook 550 SC-004 complaints", stage: smtpx.MAIL, text: outlook("550", "SC-004"),
			id: "outlook.sc-004", outcome: smtpx.Rejected, category: "provider-block", checks: ip},
		{name: "outlook 550 DY-001 dynamic IP", stage: smtpx.MAIL, text: outlook("550", "DY-001"),
			id: "outlook.dy-001", outcome: smtpx.Rejected, category: "provider-block",
			checks: []string{"rdns.ptr", "rdns.fcrdns", "blocklist.ip"}},
		{name: "outlook 550 DY-002 compromised host", stage: smtpx.MAIL, text: outlook("550", "DY-002"),
			id: "outlook.dy-002", outcome: smtpx.Rejected, category: "provider-block", checks: ip},
		{name: "outlook 550 OU-001 Spamhaus", stage: smtpx.MAIL, text: outlook("550", "OU-001"),
			id: "outlook.ou-001", outcome: smtpx.Rejected, category: "dnsbl", checks: ip},
		{name: "outlook 550 OU-002 content or reputation", stage: smtpx.MAIL, text: outlook("550", "OU-002"),
			id: "outlook.ou-002", outcome: smtpx.Rejected, category: "provider-block",
			checks: []string{"blocklist.ip", "blocklist.domain"}},
		{
			name:  "outlook 451 4.7.650 S775 rate limited by IP reputation",
			stage: smtpx.MAIL,
			text: "451 4.7.650 The mail server [192.0.2.25] has been temporarily rate limited due to IP " +
				"reputation. For e-mail delivery information, see https://postmaster.live.com (S775) " +
				"[AM4PEPF00027A5F.eurprd04.prod.protection.outlook.com]",
			id: "outlook.rate-limited-ip-reputation", outcome: smtpx.Deferred, category: "throttle", checks: ip,
		},
		{
			name:  "outlook 451 4.7.652 max connections",
			stage: smtpx.Connect,
			text:  "451 4.7.652 The mail server [192.0.2.25] has exceeded the maximum number of connections.",
			id:    "outlook.max-connections", outcome: smtpx.Deferred, category: "throttle", checks: ip,
		},
		{
			name:  "outlook 550 5.7.515 authentication level",
			stage: smtpx.EndOfData,
			text: "550 5.7.515 Access denied, sending domain [example.org] does not meet the required " +
				"authentication level. The sender's domain in the 5322.From address doesn't meet the " +
				"authentication requirements defined for the sender.",
			id: "outlook.auth-level", outcome: smtpx.Rejected, category: "auth",
			checks: []string{"spf.result", "dkim.signature", "dmarc.record", "dmarc.alignment"},
		},
		{
			name:  "exchange online 550 5.7.606 banned sending IP at RCPT TO",
			stage: smtpx.RCPT,
			text: "550 5.7.606 Access denied, banned sending IP [192.0.2.25]. To request removal from this " +
				"list please visit https://sender.office.com/ and follow the directions. For more information " +
				"please go to http://go.microsoft.com/fwlink/?LinkID=526655 AS(1430)",
			id: "exchange-online.banned-ip", outcome: smtpx.Rejected, category: "provider-block", checks: ip,
		},
		{
			name:  "exchange online 550 5.7.649 top of the banned range",
			stage: smtpx.RCPT,
			text:  "550 5.7.649 Access denied, banned sending IP [192.0.2.25].",
			id:    "exchange-online.banned-ip", outcome: smtpx.Rejected, category: "provider-block", checks: ip,
		},
		{
			name:  "exchange online 550 5.7.511 banned sender",
			stage: smtpx.RCPT,
			text:  "550 5.7.511 Access denied, banned sender[192.0.2.25]. To request removal from this list please forward this message to delist@messaging.microsoft.com.",
			id:    "exchange-online.banned-sender", outcome: smtpx.Rejected, category: "provider-block", checks: ip,
		},
		{
			name:  "exchange online 451 4.7.500 access denied, try again later",
			stage: smtpx.RCPT,
			text:  "451 4.7.500 Access denied, please try again later. For more information please go to http://go.microsoft.com/fwlink/?LinkId=526653. (AS900)",
			id:    "exchange-online.temporary-restriction", outcome: smtpx.Deferred, category: "throttle", checks: ip,
		},
		{
			name:  "exchange online 451 4.7.850 access denied, try again later",
			stage: smtpx.MAIL,
			text:  "451 4.7.850 Access denied, please try again later.",
			id:    "exchange-online.temporary-restriction", outcome: smtpx.Deferred, category: "throttle", checks: ip,
		},
		{
			name:  "exchange online 550 5.7.509 DMARC fail",
			stage: smtpx.EndOfData,
			text:  "550 5.7.509 Access denied, sending domain [example.org] does not pass DMARC verification and has a DMARC policy of reject.",
			id:    "exchange-online.dmarc", outcome: smtpx.Rejected, category: "auth",
			checks: []string{"dmarc.record", "dmarc.alignment", "spf.result", "dkim.signature"},
		},
		{
			name:  "exchange online 550 5.7.23 SPF violation at MAIL FROM",
			stage: smtpx.MAIL,
			text:  "550 5.7.23 The message was rejected because of Sender Policy Framework violation",
			id:    "exchange-online.spf", outcome: smtpx.Rejected, category: "auth", checks: []string{"spf.record", "spf.result"},
		},
		{
			name:  "exchange online 550 5.7.25 IPv6 needs reverse DNS",
			stage: smtpx.RCPT,
			text:  "550 5.7.25 Access denied, the sending IPv6 address [2001:db8::25] must have a reverse DNS record",
			id:    "exchange-online.ipv6-rdns", outcome: smtpx.Rejected, category: "ipv6",
			checks: []string{"ipv6.ready", "rdns.ptr", "rdns.fcrdns"},
		},
		{
			name:  "exchange online 450 4.7.26 IPv6 must pass SPF or DKIM",
			stage: smtpx.EndOfData,
			text:  "450 4.7.26 Access denied, a message sent over IPv6 [2001:db8::25] must pass either SPF or DKIM validation, this message is not signed",
			id:    "exchange-online.ipv6-auth", outcome: smtpx.Deferred, category: "ipv6",
			checks: []string{"ipv6.ready", "spf.result", "dkim.signature"},
		},
		{
			name:  "exchange online 550 5.7.506 bad HELO at EHLO",
			stage: smtpx.EHLO,
			text:  "550 5.7.506 Access denied, Bad HELO",
			id:    "exchange-online.bad-helo", outcome: smtpx.Rejected, category: "rdns", checks: []string{"rdns.helo"},
		},
		{
			name:  "exchange online 550 5.7.510 no IPv6",
			stage: smtpx.RCPT,
			text:  "550 5.7.510 Access denied, example.com does not accept email over IPv6",
			id:    "exchange-online.no-ipv6", outcome: smtpx.Rejected, category: "ipv6", checks: []string{"ipv6.ready"},
		},
		{
			name:  "exchange online 550 5.7.513 customer block list",
			stage: smtpx.RCPT,
			text:  "550 5.7.513 Service unavailable, Client host [192.0.2.25] blocked by example.com using Customer Block list (AS16012607)",
			id:    "exchange-online.customer-blocklist", outcome: smtpx.Rejected, category: "provider-block", checks: ip,
		},
		{
			name:  "exchange online 550 5.7.708 tenant outbound block",
			stage: smtpx.RCPT,
			text:  "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.",
			id:    "exchange-online.tenant-outbound-block", outcome: smtpx.Rejected, category: "provider-block",
			checks: []string{"smtp.response"},
		},
		{
			name:  "5.7.650 is outside the banned range",
			stage: smtpx.RCPT,
			text:  "550 5.7.650 Something else entirely",
			id:    "generic.security", outcome: smtpx.Rejected, category: "policy",
			checks: []string{"blocklist.ip", "rdns.ptr", "spf.result"},
		},
	}
}
