package explain

import "github.com/mailcred/mailcred/scoring/smtpx"

// orangeCases are Orange's and La Poste's replies (the codes they
// publish; wording from go-sisimai rhost/for-franceptt.go).
func orangeCases() []replyCase {
	ip := []string{"blocklist.ip"}
	return []replyCase{
		{
			name:  "orange 550 OFR006_102 Cloudmark at the greeting",
			stage: smtpx.Connect,
			text: "550 mwinf5c04 ME Adresse IP source bloquee pour incident de spam. Client host blocked for " +
				"spamming issues. OFR006_102 Ref http://csi.cloudmark.com ...",
			id: "orange.cloudmark", outcome: smtpx.Rejected, category: "dnsbl", checks: ip,
		},
		{
			name:  "la poste 550 5.5.0 LPN007_102 blocked",
			stage: smtpx.Connect,
			text: "550 5.5.0 Les emails envoyes vers la messagerie Laposte.net ont ete bloques par nos services. " +
				"The emails sent to the mail host Laposte.net were blocked by our services. " +
				"https://senderscore.org/blacklistlookup/  LPN007_102",
			id: "orange.cloudmark", outcome: smtpx.Rejected, category: "dnsbl", checks: ip,
		},
		{
			name:  "la poste 550 5.7.1 LPNAAA_101 Spamhaus at RCPT TO",
			stage: smtpx.RCPT,
			text: "550 5.7.1 Service unavailable; client [192.0.2.25] blocked using Spamhaus Les emails envoyes " +
				"vers la messagerie Laposte.net ont ete bloques par nos services. https://www.spamhaus.org/lookup/ LPNAAA_101",
			id: "orange.spamhaus", outcome: smtpx.Rejected, category: "dnsbl", checks: ip,
		},
		{
			name:  "orange 550 OFR006_103 service refused",
			stage: smtpx.Connect,
			text:  "550 mwinf5c10 ME Service refuse. Veuillez essayer plus tard. Service refused, please try later. OFR006_103 192.0.2.25 [103]",
			id:    "orange.blocked", outcome: smtpx.Rejected, category: "provider-block", checks: ip,
		},
		{
			name:  "orange 421 OFR_999 service refused",
			stage: smtpx.Connect,
			text:  "421 mwinf5c77 ME Service refuse. Veuillez essayer plus tard. Service refused, please try later. OFR_999 [999]",
			id:    "orange.blocked", outcome: smtpx.Deferred, category: "provider-block", checks: ip,
		},
		{
			name:  "la poste 550 5.5.0 LPN005_510 blocked after DATA",
			stage: smtpx.EndOfData,
			text:  "550 5.5.0 Service refuse. Veuillez essayer plus tard. service refused, please try later. LPN005_510",
			id:    "orange.blocked", outcome: smtpx.Rejected, category: "provider-block", checks: ip,
		},
		{
			name:  "orange 421 OFR005_104 too many connections",
			stage: smtpx.Connect,
			text:  "421 mwinf5c79 ME Trop de connexions, veuillez verifier votre configuration. Too many connections, slow down. OFR005_104 [104]",
			id:    "orange.too-many-connections", outcome: smtpx.Deferred, category: "throttle", checks: []string{},
		},
		{
			name:  "la poste 550 5.5.0 LPN004_401 SPF at MAIL FROM",
			stage: smtpx.MAIL,
			text:  "550 5.5.0 SPF: example.org is not allowed to send mail. LPN004_401",
			id:    "orange.spf", outcome: smtpx.Rejected, category: "auth", checks: []string{"spf.record", "spf.result"},
		},
		{
			name:  "orange 501 5.1.0 OFR004_405 invalid sender",
			stage: smtpx.MAIL,
			text:  "501 5.1.0 Emetteur invalide. Invalid Sender. OFR004_405 [405]",
			id:    "orange.invalid-sender", outcome: smtpx.Rejected, category: "sender", checks: []string{"mx.record", "spf.record"},
		},
		{
			name:  "la poste LPN105_421 MAIL FROM not owned, no reply code",
			stage: smtpx.MAIL,
			text:  "5.5.3 Mail from not owned by user. LPN105_421.",
			id:    "orange.invalid-sender", outcome: smtpx.Rejected, category: "sender", checks: []string{"mx.record", "spf.record"},
		},
		{
			name:  "orange 550 5.1.1 OFR_416 unknown recipient",
			stage: smtpx.RCPT,
			text:  "550 5.1.1 Adresse d au moins un destinataire invalide. Invalid recipient. OFR_416 [416]",
			id:    "orange.unknown-recipient", outcome: smtpx.Rejected, category: "recipient", checks: []string{},
		},
		{
			name:  "orange 552 5.1.1 OFR_417 mailbox full",
			stage: smtpx.RCPT,
			text:  "552 5.1.1 Boite du destinataire pleine. Recipient overquota. OFR_417 [417]",
			id:    "orange.mailbox-full", outcome: smtpx.Rejected, category: "recipient", checks: []string{},
		},
		{
			name:  "la poste 550 5.5.0 LPN007_420 archived recipient",
			stage: smtpx.RCPT,
			text:  "550 5.5.0 Boite du destinataire archivee. Archived recipient. LPN007_420",
			id:    "orange.account-suspended", outcome: smtpx.Rejected, category: "recipient", checks: []string{},
		},
		{
			name:  "orange 421 4.2.0 OFR005_505 system error after DATA",
			stage: smtpx.EndOfData,
			text:  "421 4.2.0 Service refuse. Veuillez essayer plus tard. Service refused, please try later. OFR005_505 [505]",
			id:    "orange.system-error", outcome: smtpx.Deferred, category: "system", checks: []string{},
		},
		{
			name:  "orange 550 OFR_506 mail rejected as spam",
			stage: smtpx.EndOfData,
			text:  "550 5.7.1 Mail rejete. Mail rejected. OFR_506 [506]",
			id:    "orange.spam-detected", outcome: smtpx.Rejected, category: "content",
			checks: []string{"blocklist.domain", "dkim.signature"},
		},
		{
			name:  "orange 552 OFR_514 message too big",
			stage: smtpx.EndOfData,
			text:  "552 5.3.4 Taille limite du message atteinte. Message too big. OFR_514 [514]",
			id:    "orange.too-big", outcome: smtpx.Rejected, category: "format", checks: []string{},
		},
		{
			name:  "la poste 571 5.7.1 LPN007_517 DMARC failed",
			stage: smtpx.EndOfData,
			text:  "571 5.7.1 Message refused, DMARC verification Failed. Message refuse, verification DMARC en echec LPN007_517",
			id:    "orange.dmarc", outcome: smtpx.Rejected, category: "auth",
			checks: []string{"dmarc.record", "dmarc.alignment", "spf.result", "dkim.signature"},
		},
		{
			name:  "la poste 554 5.7.1 LPN000_630 client host rejected",
			stage: smtpx.Connect,
			text:  "554 5.7.1 Client host rejected LPN000_630",
			id:    "orange.policy", outcome: smtpx.Rejected, category: "policy", checks: []string{"blocklist.ip", "rdns.ptr"},
		},
	}
}

// comcastCases are Comcast's replies (Comcast's published error codes,
// quoted in part); the host names around the quoted phrases are
// illustrative.
func comcastCases() []replyCase {
	ip := []string{"blocklist.ip"}
	page := "http://postmaster.comcast.net/smtp-error-codes.php#"
	return []replyCase{
		{
			name:  "comcast 554 BL000000 internal block at the greeting",
			stage: smtpx.Connect,
			text:  "554 resimta-po-12v.sys.comcast.net comcast 192.0.2.25 Comcast block for spam. Please see " + page + "BL000000",
			id:    "comcast.bl000000", outcome: smtpx.Rejected, category: "provider-block", checks: ip,
		},
		{
			name:  "comcast 554 BL000001 Spamhaus ZEN",
			stage: smtpx.Connect,
			text:  "554 resimta-ch2-18v.sys.comcast.net comcast 192.0.2.25 found on one or more DNSBLs, see " + page + "BL000001",
			id:    "comcast.bl000001", outcome: smtpx.Rejected, category: "dnsbl", checks: ip,
		},
		{
			name:  "comcast 554 BL000010 Cloudmark CSI",
			stage: smtpx.Connect,
			text:  "554 resimta-ch2-18v.sys.comcast.net comcast 192.0.2.25 found on one or more DNSBLs, see " + page + "BL000010",
			id:    "comcast.bl000010", outcome: smtpx.Rejected, category: "dnsbl", checks: ip,
		},
		{
			name:  "comcast 554 BL000011 Spamhaus ZEN and Cloudmark CSI",
			stage: smtpx.Connect,
			text:  "554 resimta-ch2-18v.sys.comcast.net comcast 192.0.2.25 found on one or more DNSBLs, see " + page + "BL000011",
			id:    "comcast.bl-combined", outcome: smtpx.Rejected, category: "dnsbl", checks: ip,
		},
		{
			name:  "comcast 451 4.2.0 RL000010 throttled",
			stage: smtpx.RCPT,
			text:  "451 4.2.0 Throttled - try again later. Please see " + page + "RL000010",
			id:    "comcast.rate-limit", outcome: smtpx.Deferred, category: "throttle", checks: []string{},
		},
		{
			name:  "comcast 550 5.2.0 DM000001 DMARC",
			stage: smtpx.EndOfData,
			text:  "550 5.2.0 resimta-po-12v.sys.comcast.net Message rejected due to DMARC. Please see " + page + "DM000001",
			id:    "comcast.dmarc", outcome: smtpx.Rejected, category: "auth",
			checks: []string{"dmarc.record", "dmarc.alignment", "spf.result", "dkim.signature"},
		},
		{
			name:  "comcast 554 PTR requirement at the greeting",
			stage: smtpx.Connect,
			text: "554 resimta-ch2-05v.sys.comcast.net comcast Comcast requires that all mail servers must have " +
				"a PTR record with a valid Reverse DNS entry. Currently your mail server does not fill that requirement. " +
				"For more information, refer to: " + page + "554",
			id: "comcast.ptr-required", outcome: smtpx.Rejected, category: "rdns", checks: []string{"rdns.ptr", "rdns.fcrdns"},
		},
		{
			name:  "comcast 521 PTR requirement",
			stage: smtpx.Connect,
			text:  "521 resimta-ch2-05v.sys.comcast.net comcast Comcast requires that all mail servers must have a PTR record with a valid Reverse DNS entry.",
			id:    "comcast.ptr-required", outcome: smtpx.Rejected, category: "rdns", checks: []string{"rdns.ptr", "rdns.fcrdns"},
		},
		{
			name:  "comcast 421 Reverse DNS failure",
			stage: smtpx.Connect,
			text:  "421 Reverse DNS failure",
			id:    "comcast.ptr-required", outcome: smtpx.Deferred, category: "rdns", checks: []string{"rdns.ptr", "rdns.fcrdns"},
		},
		{
			name:  "comcast 554 ES000010 dynamic reverse DNS",
			stage: smtpx.Connect,
			text:  "554 resimta-ch2-05v.sys.comcast.net comcast 192.0.2.25 Please see " + page + "ES000010",
			id:    "comcast.dynamic-rdns", outcome: smtpx.Rejected, category: "rdns", checks: []string{"rdns.ptr", "rdns.fcrdns"},
		},
		{
			name:  "comcast 554 ES000001 residential space",
			stage: smtpx.Connect,
			text:  "554 resimta-ch2-05v.sys.comcast.net comcast 192.0.2.25 Please see " + page + "ES000001",
			id:    "comcast.residential", outcome: smtpx.Rejected, category: "provider-block", checks: []string{"rdns.ptr"},
		},
		{
			name:  "comcast 421 Too many sessions opened",
			stage: smtpx.Connect,
			text:  "421 Too many sessions opened",
			id:    "comcast.too-many-sessions", outcome: smtpx.Deferred, category: "throttle", checks: []string{},
		},
	}
}

// coxCases are Cox's replies (codes from go-sisimai
// rhost/for-cox.go, which reads them after "AUP#"). The sentences around
// the codes are illustrative.
func coxCases() []replyCase {
	return []replyCase{
		{
			name:  "cox 554 CXDNS reverse DNS failing at the greeting",
			stage: smtpx.Connect,
			text:  "554 cxr.mx.east.cox.net cox 192.0.2.25 rejected - no rDNS AUP#CXDNS",
			id:    "cox.rdns", outcome: smtpx.Rejected, category: "rdns", checks: []string{"rdns.ptr", "rdns.fcrdns"},
		},
		{
			name:  "cox 550 CXSNDR SPF or DKIM failure",
			stage: smtpx.EndOfData,
			text:  "550 5.7.1 cox.net sender rejected - SPF/DKIM failure AUP#CXSNDR",
			id:    "cox.auth", outcome: smtpx.Rejected, category: "auth",
			checks: []string{"spf.result", "dkim.signature", "dmarc.alignment"},
		},
		{
			name:  "cox 554 CXBL blocked",
			stage: smtpx.Connect,
			text:  "554 cxr.mx.east.cox.net cox connection refused from [192.0.2.25] AUP#CXBL",
			id:    "cox.blocked", outcome: smtpx.Rejected, category: "provider-block", checks: []string{"blocklist.ip"},
		},
		{
			name:  "cox 421 CDRBL temporary block",
			stage: smtpx.Connect,
			text:  "421 cxr.mx.east.cox.net cox 192.0.2.25 temporarily blocked AUP#CDRBL",
			id:    "cox.blocked", outcome: smtpx.Deferred, category: "provider-block", checks: []string{"blocklist.ip"},
		},
		{
			name:  "cox 421 CXCNCT too many connections",
			stage: smtpx.Connect,
			text:  "421 cxr.mx.east.cox.net cox too many sessions from 192.0.2.25 AUP#CXCNCT",
			id:    "cox.connections", outcome: smtpx.Deferred, category: "throttle", checks: []string{},
		},
		{
			name:  "cox 554 IPBL1010 on public lists",
			stage: smtpx.Connect,
			text:  "554 cxr.mx.east.cox.net cox 192.0.2.25 on a blocklist AUP#IPBL1010",
			id:    "cox.dnsbl", outcome: smtpx.Rejected, category: "dnsbl", checks: []string{"blocklist.ip"},
		},
		{
			name:  "cox 554 URLBL011 listed URL",
			stage: smtpx.EndOfData,
			text:  "554 5.7.1 cox message rejected, URL on a blocklist AUP#URLBL011",
			id:    "cox.urlbl", outcome: smtpx.Rejected, category: "content", checks: []string{"blocklist.domain"},
		},
	}
}

// tOnlineCases is T-Online's block (as T-Online publishes it).
func tOnlineCases() []replyCase {
	return []replyCase{
		{
			name:  "t-online 554 (BL) own block at the greeting",
			stage: smtpx.Connect,
			text: "554 IP=192.0.2.25 - A problem occurred. (Ask your postmaster for help or to contact " +
				"tosa@rx.t-online.de to clarify.) (BL)",
			id: "t-online.blocked", outcome: smtpx.Rejected, category: "provider-block",
			checks: []string{"blocklist.ip", "rdns.ptr", "rdns.fcrdns"},
		},
	}
}
