package transport

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/smtpx"
)

// runStartTLS judges whether the message travelled encrypted (RFC 3207)
// and whether the certificate was valid for the server's name.
func runStartTLS(_ context.Context, env *scoring.Env) scoring.Result {
	f := env.Evidence.SMTP
	switch {
	case f.TLS:
		return tlsUsed(f)
	case notReached(f):
		return scoring.Result{Status: scoring.Skip,
			Title:  fmt.Sprintf("Not reached: the session ended at %s, before STARTTLS could be offered", orConnect(f.Stage)),
			Detail: "The server's answer (smtp.response) says why; TLS is judged once a session gets past EHLO."}
	case f.StartTLSOffered:
		return offeredNotUsed(f)
	}
	return notOffered(f)
}

func tlsUsed(f *scoring.SMTPFacts) scoring.Result {
	how := fmt.Sprintf("%s, %s", f.TLSVersion, f.CipherSuite)
	if f.CertVerified {
		return scoring.Result{Status: scoring.Pass,
			Title:  fmt.Sprintf("Sent over TLS (%s); certificate verified for %s", how, orServer(f)),
			Detail: fmt.Sprintf("The message went to %s encrypted, and the certificate chain is valid for its name.", server(f))}
	}
	detail := fmt.Sprintf("The message went to %s encrypted (%s), but its certificate is not valid for %s: %s.",
		server(f), how, orServer(f), f.CertError)
	if isMX(f) {
		// RFC 3207 §4.1 leaves the decision to the client; MTAs deliver
		// over any certificate unless MTA-STS or DANE says otherwise.
		return scoring.Result{Status: scoring.Info,
			Title: "Sent over TLS; the MX's certificate was not verified (normal for MX delivery)",
			Detail: detail + "\nMTAs use opportunistic TLS towards MX hosts: encrypted against eavesdropping, certificate not " +
				"required (RFC 3207 §4.1). This is the receiving domain's setup, not yours; MTA-STS (RFC 8461) or DANE " +
				"(RFC 7672) is how a domain makes its certificate count."}
	}
	return scoring.Result{Status: scoring.Warn,
		Title:  "Sent over TLS, but the server's certificate was not verified: " + short(f.CertError),
		Detail: detail + "\nA client that does not verify the certificate of its submission server can be led to an impostor, which then reads the message and the password.",
		Fix: &scoring.Fix{Summary: "If the server is yours, give it a certificate for the name you connect to (e.g. Let's Encrypt), " +
			"or pass your private CA with --tls-ca; then send with --tls-verify so a failure stops the session."}}
}

func offeredNotUsed(f *scoring.SMTPFacts) scoring.Result {
	why := f.TLSError
	if why == "" {
		why = "STARTTLS was not used"
	}
	fix := "Read the TLS error in the transcript. exim's \"TLS error on connection (recv): The TLS connection was " +
		"non-properly terminated\" is the remote end closing abruptly, not a broken certificate; otherwise check the " +
		"protocol versions and ciphers your MTA allows (TLS 1.2 or later)."
	if f.TLSMode == modeNone {
		fix = "Drop --tls none: the server offers STARTTLS, and Gmail's sender rules require TLS for bulk mail."
	}
	return scoring.Result{Status: scoring.Warn,
		Title:  fmt.Sprintf("%s offered STARTTLS, but the message was sent in plaintext", server(f)),
		Detail: "Why: " + why + ".",
		Fix:    &scoring.Fix{Summary: fix, Link: "https://support.google.com/a/answer/81126"}}
}

func notOffered(f *scoring.SMTPFacts) scoring.Result {
	if f.TLSMode == modeStartTLS {
		why := f.TLSError
		if why == "" {
			why = "STARTTLS was required but the server did not offer it"
		}
		return scoring.Result{Status: scoring.Fail,
			Title:  fmt.Sprintf("%s does not offer STARTTLS, which this send required", server(f)),
			Detail: why + ". Nothing was sent.",
			Fix: &scoring.Fix{Summary: "Use the server's TLS port instead (465 with --tls implicit, RFC 8314), or ask its " +
				"administrator to enable STARTTLS."}}
	}
	if isMX(f) {
		return scoring.Result{Status: scoring.Fail,
			Title: fmt.Sprintf("%s did not offer STARTTLS: the message went in plaintext", server(f)),
			Detail: "The EHLO reply had no STARTTLS (RFC 3207). Gmail requires TLS from bulk senders (421/550 5.7.29 " +
				"\"not sent over TLS\"), and every large provider offers it. If the MX is a large provider, something " +
				"between you and it removed STARTTLS from the EHLO reply: a firewall's SMTP inspection (Cisco ASA " +
				"\"inspect esmtp\" shows it as XXXXXXXA) or an intercepting proxy at your host.",
			Fix: &scoring.Fix{Summary: "Compare with: swaks --to ADDRESS --quit-after EHLO. If STARTTLS is missing from this " +
				"host only, ask your provider whether port 25 is intercepted; if the MX is yours, enable TLS in its MTA.",
				Link: "https://support.google.com/a/answer/81126"}}
	}
	if local(f.Addr) {
		return scoring.Result{Status: scoring.Info,
			Title:  "No STARTTLS on " + server(f) + ": a loopback connection, nothing left this host",
			Detail: "Plaintext SMTP to a server on this host is normal; the MTA's own delivery onwards is what needs TLS."}
	}
	return scoring.Result{Status: scoring.Warn,
		Title: fmt.Sprintf("%s did not offer STARTTLS: the message went in plaintext", server(f)),
		Detail: "Anyone on the path could read the message, and a password would be refused rather than sent in " +
			"the clear.",
		Fix: &scoring.Fix{Summary: "Use the server's TLS port (465 with --tls implicit, RFC 8314) or enable STARTTLS on it; " +
			"send with --tls starttls so a missing STARTTLS stops the session."}}
}

// local reports a loopback address ("127.0.0.1:25", "[::1]:25").
func local(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func orServer(f *scoring.SMTPFacts) string {
	if f.Server != "" {
		return f.Server
	}
	return server(f)
}

// orConnect names the stage, an unknown one as the connection.
func orConnect(stage smtpx.Stage) string {
	if stage == smtpx.NoStage {
		return smtpx.Connect.String()
	}
	return stage.String()
}

// short cuts a reason to fit a title.
func short(s string) string {
	const max = 80
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	return string(r[:max-1]) + "…"
}
