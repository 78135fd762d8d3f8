package explain

import "github.com/mailcred/mailcred/scoring/smtpx"

// gmailCases are Gmail's replies (the codes Gmail publishes; full wording
// from go-sisimai rhost/for-google.go). 5.7.27, 5.7.29 and 5.7.40 are
// published without wording: their 550 texts here follow the 421 forms.
func gmailCases() []replyCase {
	ipv6 := []string{"ipv6.ready", "rdns.ptr", "rdns.fcrdns", "spf.result", "dkim.signature"}
	ptr := []string{"rdns.ptr", "rdns.fcrdns"}
	reputation := []string{"blocklist.ip", "blocklist.domain", "spf.result", "dkim.signature", "dmarc.alignment"}
	unauth := []string{"spf.record", "spf.result", "dkim.record", "dkim.signature"}
	dmarc := []string{"dmarc.record", "dmarc.alignment", "spf.result", "dkim.signature"}
	return []replyCase{
		{
			name:  "gmail 421-4.7.0 IPv6 sending guidelines at end of data",
			stage: smtpx.EndOfData,
			text: "421-4.7.0 [2001:db8::25] This message does not meet IPv6 sending guidelines regarding PTR\n" +
				"421-4.7.0 records and authentication. For more information, go to\n" +
				"421 4.7.0  https://support.google.com/mail/?p=IPv6AuthError 5a478bee46e88-2a1b3c4d5e6si1234567eec.88 - gsmtp",
			id: "gmail.ipv6-guidelines", outcome: smtpx.Deferred, category: "ipv6", checks: ipv6,
		},
		{
			name:  "gmail 550-5.7.1 IPv6 sending guidelines at end of data",
			stage: smtpx.EndOfData,
			text: "550-5.7.1 [2001:db8::25] This message does not meet IPv6 sending guidelines regarding PTR\n" +
				"550-5.7.1 records and authentication. For more information, go to\n" +
				"550 5.7.1  https://support.google.com/mail/?p=IPv6AuthError - gsmtp",
			id: "gmail.ipv6-guidelines", outcome: smtpx.Rejected, category: "ipv6", checks: ipv6,
		},
		{
			name:  "gmail 550-5.7.1 IPv6 guidelines at MAIL FROM drops DKIM",
			stage: smtpx.MAIL,
			text:  "550 5.7.1 This message does not meet IPv6 sending guidelines regarding PTR records and authentication.",
			id:    "gmail.ipv6-guidelines", outcome: smtpx.Rejected, category: "ipv6",
			checks: []string{"ipv6.ready", "rdns.ptr", "rdns.fcrdns", "spf.result"},
		},
		{
			name:  "gmail 421 4.7.0 no PTR at MAIL FROM",
			stage: smtpx.MAIL,
			text: "421-4.7.0 [192.0.2.25] The IP address sending this message does not have a PTR record,\n" +
				"421-4.7.0 or the corresponding forward DNS entry does not point to the sending IP. To\n" +
				"421-4.7.0 protect our users from spam, mail sent from your IP address has been temporarily\n" +
				"421 4.7.0 rate limited. For more information, go to Email sender guidelines. - gsmtp",
			id: "gmail.ptr", outcome: smtpx.Deferred, category: "rdns", checks: ptr,
		},
		{
			name:  "gmail 451 4.7.23 PTR not forward-confirmed",
			stage: smtpx.EndOfData,
			text: "451 4.7.23 The sending IP address for this message doesn't have a PTR record, or the PTR " +
				"record's forward DNS entry doesn't match the sending IP address. To protect users from spam, " +
				"your email has been temporarily rate limited.",
			id: "gmail.ptr", outcome: smtpx.Deferred, category: "rdns", checks: ptr,
		},
		{
			name:  "gmail 550 5.7.25 no PTR",
			stage: smtpx.EndOfData,
			text: "550-5.7.25 [192.0.2.25] The IP address sending this message does not have a\n" +
				"550-5.7.25 PTR record setup, or the corresponding forward DNS entry does not\n" +
				"550-5.7.25 point to the sending IP. As a policy, Gmail does not accept messages\n" +
				"550-5.7.25 from IPs with missing PTR records. For more information, go to\n" +
				"550 5.7.25  https://support.google.com/mail/answer/81126#ip-practices - gsmtp",
			id: "gmail.ptr", outcome: smtpx.Rejected, category: "rdns", checks: ptr,
		},
		{
			name:  "gmail 550 5.7.25 PTR name does not match",
			stage: smtpx.EndOfData,
			text:  "550 5.7.25 The sending IP does not match the IP address of the hostname specified in the pointer (PTR) record.",
			id:    "gmail.ptr", outcome: smtpx.Rejected, category: "rdns", checks: ptr,
		},
		{
			name:  "gmail 421 4.7.0 very low reputation of the sending IP",
			stage: smtpx.EndOfData,
			text: "421-4.7.0 [192.0.2.25 15] Our system has detected that this message is\n" +
				"421-4.7.0 suspicious due to the very low reputation of the sending IP address.\n" +
				"421-4.7.0 To protect our users from spam, mail sent from your IP address has\n" +
				"421 4.7.0 been temporarily rate limited. https://support.google.com/mail/answer/188131 - gsmtp",
			id: "gmail.low-reputation-deferred", outcome: smtpx.Deferred, category: "throttle", checks: reputation,
		},
		{
			name:  "gmail 550 5.7.1 very low reputation of the sending domain",
			stage: smtpx.EndOfData,
			text: "550-5.7.1 Our system has detected that this message is likely suspicious due to the\n" +
				"550-5.7.1 very low reputation of the sending domain. To best protect our users\n" +
				"550 5.7.1 from spam, the message has been blocked. - gsmtp",
			id: "gmail.low-reputation-blocked", outcome: smtpx.Rejected, category: "provider-block", checks: reputation,
		},
		{
			name:  "gmail 421 4.7.0 nature of the content or the links",
			stage: smtpx.EndOfData,
			text: "421-4.7.0 This message is suspicious due to the nature of the content or the links\n" +
				"421 4.7.0 within. To best protect our users from spam, the message has been blocked.",
			id: "gmail.content-links", outcome: smtpx.Deferred, category: "content", checks: []string{"blocklist.domain"},
		},
		{
			name:  "gmail 550 5.7.1 likely unsolicited mail",
			stage: smtpx.EndOfData,
			text: "550-5.7.1 [192.0.2.25] Our system has detected that this message is likely unsolicited\n" +
				"550-5.7.1 mail. To reduce the amount of spam sent to Gmail, this message has been\n" +
				"550 5.7.1 blocked. https://support.google.com/mail/?p=UnsolicitedMessageError - gsmtp",
			id: "gmail.unsolicited", outcome: smtpx.Rejected, category: "content",
			checks: []string{"blocklist.domain", "dkim.signature", "dmarc.alignment"},
		},
		{
			name:  "gmail 550 5.7.1 not authorized to send directly at MAIL FROM",
			stage: smtpx.MAIL,
			text: "550-5.7.1 [192.0.2.25] The IP you're using to send mail is not authorized to\n" +
				"550-5.7.1 send email directly to our servers. Please use the SMTP relay at your\n" +
				"550 5.7.1 service provider instead. https://support.google.com/mail/?p=NotAuthorizedError - gsmtp",
			id: "gmail.not-authorized-directly", outcome: smtpx.Rejected, category: "provider-block",
			checks: []string{"rdns.ptr", "rdns.fcrdns", "blocklist.ip"},
		},
		{
			name:  "gmail 550 5.7.1 missing Message-ID",
			stage: smtpx.EndOfData,
			text: "550-5.7.1 [192.0.2.25] Messages missing a valid Message-ID header are not\n" +
				"550-5.7.1 accepted. For more information, go to Email sender guidelines and review\n" +
				"550 5.7.1 RFC 5322 specifications. https://support.google.com/mail/?p=RfcMessageNonCompliant - gsmtp",
			id: "gmail.missing-message-id", outcome: smtpx.Rejected, category: "format", checks: []string{"headers.message-id"},
		},
		{
			name:  "gmail 550 5.7.1 missing From",
			stage: smtpx.EndOfData,
			text: "550-5.7.1 Messages missing a valid address in the From: header, or having no From:\n" +
				"550 5.7.1 header, are not accepted. - gsmtp",
			id: "gmail.missing-from", outcome: smtpx.Rejected, category: "format", checks: []string{"headers.from"},
		},
		{
			name:  "gmail 550 5.7.1 duplicate headers",
			stage: smtpx.EndOfData,
			text: "550-5.7.1 This message is not RFC 5322 compliant because it has duplicate headers.\n" +
				"550 5.7.1 To reduce the amount of spam sent to Gmail, this message has been blocked.",
			id: "gmail.rfc5322", outcome: smtpx.Rejected, category: "format",
			checks: []string{"headers.from", "headers.to", "headers.subject", "headers.date", "headers.message-id", "headers.mime"},
		},
		{
			name:  "gmail 501 5.5.4 HELO argument invalid at EHLO",
			stage: smtpx.EHLO,
			text:  "501-5.5.4 HELO/EHLO argument is invalid. For more information, go to\n501 5.5.4  https://support.google.com/mail/?p=helo - gsmtp",
			id:    "gmail.helo-invalid", outcome: smtpx.Rejected, category: "format", checks: []string{"rdns.helo"},
		},
		{
			name:  "gmail 550 5.7.24 suspicious SPF entries",
			stage: smtpx.EndOfData,
			text: "550-5.7.24 The SPF record of the sending domain has one or more suspicious entries.\n" +
				"550 5.7.24 For more information, go to Email sender guidelines. - gsmtp",
			id: "gmail.spf-suspicious", outcome: smtpx.Rejected, category: "auth",
			checks: []string{"spf.record", "spf.all", "spf.result"},
		},
		{
			name:  "gmail 451 4.7.24 suspicious SPF entries",
			stage: smtpx.MAIL,
			text: "451 4.7.24 The SPF record of the sending domain has one or more suspicious entries. To " +
				"protect our users from spam, mail sent from your IP address has been temporarily rate limited.",
			id: "gmail.spf-suspicious", outcome: smtpx.Deferred, category: "auth",
			checks: []string{"spf.record", "spf.all", "spf.result"},
		},
		{
			name:  "gmail 550-5.7.26 unauthenticated, no SPF no DKIM",
			stage: smtpx.EndOfData,
			text: "550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail\n" +
				"550-5.7.26 requires all senders to authenticate with either SPF or DKIM.\n" +
				"550-5.7.26 \n" +
				"550-5.7.26  Authentication results:\n" +
				"550-5.7.26  DKIM = did not pass\n" +
				"550-5.7.26  SPF [example.org] with ip: [192.0.2.25] = did not pass\n" +
				"550 5.7.26  https://support.google.com/mail/answer/81126#authentication - gsmtp",
			id: "gmail.unauthenticated", outcome: smtpx.Rejected, category: "auth", checks: unauth,
		},
		{
			name:  "gmail 421-4.7.26 unauthenticated, rate limited",
			stage: smtpx.EndOfData,
			text: "421-4.7.26 This mail has been rate limited because it is unauthenticated. Gmail\n" +
				"421-4.7.26 requires all senders to authenticate with either SPF or DKIM.\n" +
				"421 4.7.26  Authentication results: DKIM = did not pass SPF [example.org] with ip: [192.0.2.25] = did not pass",
			id: "gmail.unauthenticated", outcome: smtpx.Deferred, category: "auth", checks: unauth,
		},
		{
			name:  "gmail 550 5.7.26 fails to pass authentication checks (older wording)",
			stage: smtpx.EndOfData,
			text: "550 5.7.26 This message does not have authentication information or fails to pass " +
				"authentication checks (SPF or DKIM). To best protect our users from spam, the message has been blocked.",
			id: "gmail.unauthenticated", outcome: smtpx.Rejected, category: "auth", checks: unauth,
		},
		{
			name:  "gmail 550 5.7.26 DMARC policy",
			stage: smtpx.EndOfData,
			text: "550-5.7.26 Unauthenticated email from example.org is not accepted due to domain's\n" +
				"550-5.7.26 DMARC policy. Please contact the administrator of example.org domain if\n" +
				"550 5.7.26 this was a legitimate mail. - gsmtp",
			id: "gmail.dmarc-policy", outcome: smtpx.Rejected, category: "auth", checks: dmarc,
		},
		{
			name:  "gmail 451 4.7.26 DMARC policy with temporary DNS failure",
			stage: smtpx.EndOfData,
			text: "451-4.7.26 Unauthenticated email from example.org is not accepted due to domain’s\n" +
				"451-4.7.26 DMARC policy, but temporary DNS failures prevent authentication. Please\n" +
				"451 4.7.26 contact the administrator of example.org domain if this was a legitimate mail.",
			id: "gmail.dmarc-policy", outcome: smtpx.Deferred, category: "auth", checks: dmarc,
		},
		{
			name:  "gmail 550 5.7.26 SPF -all hard fail",
			stage: smtpx.EndOfData,
			text: "550-5.7.26 The MAIL FROM domain [example.org] has an SPF record with a hard fail\n" +
				"550-5.7.26 policy (-all) but it fails to pass SPF checks with the ip: [192.0.2.25]. To\n" +
				"550 5.7.26 best protect our users from spam and phishing, the message has been blocked.",
			id: "gmail.spf-hardfail", outcome: smtpx.Rejected, category: "auth", checks: []string{"spf.result", "spf.record"},
		},
		{
			name:  "gmail 421 4.7.27 bulk SPF did not pass",
			stage: smtpx.EndOfData,
			text: "421-4.7.27 Your email has been rate limited because SPF authentication didn't pass for\n" +
				"421-4.7.27 this message. Gmail requires all bulk email senders to authenticate their email\n" +
				"421 4.7.27 with SPF. Authentication results: SPF domain-name with IP address: 192.0.2.25 = Did not pass.",
			id: "gmail.bulk-spf", outcome: smtpx.Deferred, category: "auth", checks: []string{"spf.record", "spf.result"},
		},
		{
			name:  "gmail 550 5.7.27 bulk SPF did not pass",
			stage: smtpx.EndOfData,
			text:  "550 5.7.27 This mail has been blocked because SPF does not pass. Gmail requires all bulk senders to authenticate with SPF.",
			id:    "gmail.bulk-spf", outcome: smtpx.Rejected, category: "auth", checks: []string{"spf.record", "spf.result"},
		},
		{
			name:  "gmail 421 4.7.28 unusual rate of mail",
			stage: smtpx.EndOfData,
			text: "421-4.7.28 Gmail has detected an unusual rate of mail originating from your SPF domain\n" +
				"421-4.7.28 [example.org 15]. To protect our users from spam, mail has been temporarily\n" +
				"421 4.7.28 rate limited. https://support.google.com/mail/?p=UnsolicitedRateLimitError - gsmtp",
			id: "gmail.unusual-rate", outcome: smtpx.Deferred, category: "throttle", checks: []string{"blocklist.ip", "blocklist.domain"},
		},
		{
			name:  "gmail 550 5.7.28 unusual rate of unsolicited mail",
			stage: smtpx.EndOfData,
			text:  "550 5.7.28 There is an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been blocked.",
			id:    "gmail.unusual-rate", outcome: smtpx.Rejected, category: "throttle", checks: []string{"blocklist.ip", "blocklist.domain"},
		},
		{
			name:  "gmail 421 4.7.28 too many copies of one Message-ID",
			stage: smtpx.EndOfData,
			text:  "421 4.7.28 Gmail has detected this message exceeded its quota for sending messages with the same Message-ID:.",
			id:    "gmail.unusual-rate", outcome: smtpx.Deferred, category: "throttle", checks: []string{"blocklist.ip", "blocklist.domain"},
		},
		{
			name:  "gmail 421 4.7.29 bulk not over TLS",
			stage: smtpx.EndOfData,
			text: "421-4.7.29 Your email has been rate limited because this message wasn't sent over a TLS\n" +
				"421 4.7.29 connection. Gmail requires all bulk email senders to use TLS/SSL for SMTP connections.",
			id: "gmail.bulk-tls", outcome: smtpx.Deferred, category: "tls", checks: []string{"tls.starttls"},
		},
		{
			name:  "gmail 550 5.7.29 bulk not over TLS",
			stage: smtpx.EndOfData,
			text:  "550 5.7.29 This mail has been blocked because it wasn't sent over a TLS connection. Gmail requires all bulk senders to use TLS/SSL for SMTP connections.",
			id:    "gmail.bulk-tls", outcome: smtpx.Rejected, category: "tls", checks: []string{"tls.starttls"},
		},
		{
			name:  "gmail 421 4.7.30 bulk DKIM did not pass",
			stage: smtpx.EndOfData,
			text: "421-4.7.30 Your email has been rate limited because DKIM authentication didn't pass for\n" +
				"421 4.7.30 this message. Gmail requires all email bulk senders to authenticate their email with DKIM.",
			id: "gmail.bulk-dkim", outcome: smtpx.Deferred, category: "auth",
			checks: []string{"dkim.record", "dkim.key-match", "dkim.signature"},
		},
		{
			name:  "gmail 550 5.7.30 bulk DKIM did not pass",
			stage: smtpx.EndOfData,
			text:  "550 5.7.30 This mail has been blocked because DKIM does not pass. Gmail requires all large senders to authenticate with DKIM. Authentication results: DKIM = did not pass.",
			id:    "gmail.bulk-dkim", outcome: smtpx.Rejected, category: "auth",
			checks: []string{"dkim.record", "dkim.key-match", "dkim.signature"},
		},
		{
			name:  "gmail 421 4.7.32 From not aligned",
			stage: smtpx.EndOfData,
			text: "421-4.7.32 Your email has been rate limited because the From: header (RFC5322) in this\n" +
				"421 4.7.32 message isn't aligned with either the authenticated SPF or DKIM organizational domain.",
			id: "gmail.bulk-alignment", outcome: smtpx.Deferred, category: "auth",
			checks: []string{"dmarc.alignment", "dkim.signature", "spf.result"},
		},
		{
			name:  "gmail 550 5.7.32 From not aligned",
			stage: smtpx.EndOfData,
			text:  "550 5.7.32 Your email was blocked because the From: header (RFC5322) in this message isn't aligned with either the authenticated SPF or DKIM organizational domain.",
			id:    "gmail.bulk-alignment", outcome: smtpx.Rejected, category: "auth",
			checks: []string{"dmarc.alignment", "dkim.signature", "spf.result"},
		},
		{
			name:  "gmail 421 4.7.40 no DMARC record",
			stage: smtpx.EndOfData,
			text: "421-4.7.40 Your email has been rate limited because the sending domain doesn't have a DMARC\n" +
				"421-4.7.40 record, or the DMARC record doesn’t specify a DMARC policy. Gmail requires all\n" +
				"421 4.7.40 bulk email senders to add a DMARC record to their sending domain.",
			id: "gmail.bulk-dmarc", outcome: smtpx.Deferred, category: "auth", checks: []string{"dmarc.record"},
		},
		{
			name:  "gmail 550 5.7.40 no DMARC record",
			stage: smtpx.EndOfData,
			text:  "550 5.7.40 This mail has been blocked because the sending domain doesn't have a DMARC record. Gmail requires all bulk email senders to add a DMARC record to their sending domain.",
			id:    "gmail.bulk-dmarc", outcome: smtpx.Rejected, category: "auth", checks: []string{"dmarc.record"},
		},
		{
			name:  "gmail 421 4.7.31 no DMARC record (older code)",
			stage: smtpx.EndOfData,
			text:  "421 4.7.31 Your email has been rate limited because the sending domain doesn't have a DMARC record.",
			id:    "gmail.bulk-dmarc", outcome: smtpx.Deferred, category: "auth", checks: []string{"dmarc.record"},
		},
	}
}
