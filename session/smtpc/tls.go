package smtpc

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/mailcred/mailcred/scoring/safetext"
	"github.com/mailcred/mailcred/scoring/smtpx"
)

// StartTLS sends STARTTLS, performs the handshake and, as RFC 3207 §4.2
// requires, forgets what the server announced and sends EHLO again. The
// chain is always verified against Options.ServerName and the result is
// reported; it ends the session only with RequireVerifiedTLS.
func (c *Client) StartTLS(ctx context.Context) (*TLSInfo, error) {
	if c.secure.Load() {
		return c.tlsInfo, nil
	}
	r, err := c.exchange(ctx, smtpx.STARTTLS, "STARTTLS", "STARTTLS", c.o.Timeouts.Command)
	if err != nil {
		return nil, err
	}
	if r.Code != 220 {
		return nil, c.refused(smtpx.STARTTLS, r)
	}
	// Anything already buffered was sent before the handshake and would be
	// read as if it came under TLS: a response injection (the client side of
	// CVE-2011-0411). RFC 3207 §5 leaves such plaintext untrusted.
	if n := c.br.Buffered(); n > 0 {
		return nil, c.fail(ctx, smtpx.STARTTLS, "after 220 to STARTTLS", fmt.Errorf("%w (%d bytes)", ErrInjection, n))
	}
	if err := c.handshake(ctx, smtpx.STARTTLS); err != nil {
		return nil, err
	}
	c.caps = Capabilities{}
	if _, err := c.Hello(ctx); err != nil {
		return c.tlsInfo, err
	}
	return c.tlsInfo, nil
}

// ApplyTLSMode does what Options.TLSMode asks after EHLO: STARTTLS when it
// is required (an error if not offered) or offered in opportunistic mode;
// nothing for none and implicit.
func (c *Client) ApplyTLSMode(ctx context.Context) error {
	if c.secure.Load() || c.o.TLSMode == TLSNone || c.o.TLSMode == TLSImplicit {
		return nil
	}
	if !c.caps.StartTLS {
		if c.o.TLSMode == TLSStartTLS {
			return c.localError(smtpx.STARTTLS, ErrTLSNotOffered)
		}
		c.emit(Event{Kind: KindInfo, Lines: []string{"STARTTLS not offered: continuing without TLS"}})
		return nil
	}
	_, err := c.StartTLS(ctx)
	var re *ReplyError
	if c.o.TLSMode == TLSOpportunistic && errors.As(err, &re) && re.Stage == smtpx.STARTTLS && c.usable(smtpx.STARTTLS) == nil {
		// RFC 3207 §4: after 454 the client decides; an MTA carries on in clear.
		c.emit(Event{Kind: KindInfo, Lines: []string{"STARTTLS refused: continuing without TLS (opportunistic)"}})
		return nil
	}
	return err
}

// retryInClear reports whether a session in opportunistic mode failed in
// the TLS handshake itself, after which an MTA delivers again without TLS
// on a new connection (exim's tls_tempfail_tryclear, postfix's "may"
// level). Not after a required verification failed, nor after plaintext
// was injected ahead of the handshake: that is an attack, not a broken
// server.
func retryInClear(ctx context.Context, o Options, err error) bool {
	var e *Error
	if ctx.Err() != nil || !errors.As(err, &e) || e.Stage != smtpx.STARTTLS {
		return false
	}
	mode, _ := ParseTLSMode(string(o.TLSMode))
	return mode == TLSOpportunistic && !o.RequireVerifiedTLS &&
		!errors.Is(err, ErrNotVerified) && !errors.Is(err, ErrInjection) && !errors.Is(err, ErrTLSNotOffered)
}

// handshake runs a TLS client handshake on the raw connection. Verification
// is done by us, not by crypto/tls: an MTA accepts any certificate
// (opportunistic TLS), yet the user must learn whether the chain is valid
// for the MX name, and why not.
func (c *Client) handshake(ctx context.Context, st smtpx.Stage) error {
	var info *TLSInfo
	cfg := c.tlsConfig(func(i *TLSInfo) { info = i })
	tc := tls.Client(c.raw, cfg)
	stop := c.arm(ctx, c.o.Timeouts.Command)
	err := tc.HandshakeContext(ctx)
	stop()
	if err != nil {
		if info != nil {
			c.emit(Event{Kind: KindTLS, TLS: info, Lines: describeTLS(info, false)})
		}
		return c.fail(ctx, st, "TLS handshake", err)
	}
	c.secure.Store(true)
	c.tlsInfo = info
	c.setConn(tc)
	c.emit(Event{Kind: KindTLS, TLS: info, Lines: describeTLS(info, true)})
	return nil
}

// tlsConfig returns the handshake's configuration; report receives what
// VerifyConnection learned.
func (c *Client) tlsConfig(report func(*TLSInfo)) *tls.Config {
	cfg := &tls.Config{}
	if c.o.TLSConfig != nil {
		cfg = c.o.TLSConfig.Clone()
	}
	roots := c.o.RootCAs
	if roots == nil {
		roots = cfg.RootCAs
	}
	name := c.o.ServerName
	if net.ParseIP(name) == nil {
		cfg.ServerName = name // SNI carries host names only (RFC 6066 §3)
	}
	cfg.InsecureSkipVerify = true // verified below, reported, fatal only when required
	cfg.VerifyPeerCertificate = nil
	require := c.o.RequireVerifiedTLS
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		info := tlsInfo(cs, name, roots)
		report(info)
		if require && !info.Verified {
			return fmt.Errorf("%w for %s (verification required): %s", ErrNotVerified, name, info.VerifyError)
		}
		return nil
	}
	return cfg
}

// tlsInfo describes a connection state and verifies its chain for name.
func tlsInfo(cs tls.ConnectionState, name string, roots *x509.CertPool) *TLSInfo {
	info := &TLSInfo{
		Version:     tls.VersionName(cs.Version),
		CipherSuite: tls.CipherSuiteName(cs.CipherSuite),
		ServerName:  safetext.Line(name, 255),
	}
	for _, cert := range cs.PeerCertificates {
		info.Chain = append(info.Chain, certInfo(cert))
	}
	if len(cs.PeerCertificates) == 0 {
		info.VerifyError = "the server sent no certificate"
		return info
	}
	inter := x509.NewCertPool()
	for _, cert := range cs.PeerCertificates[1:] {
		inter.AddCert(cert)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
		DNSName:       name,
		Roots:         roots,
		Intermediates: inter,
	})
	if err != nil {
		info.VerifyError = safetext.Line(verifyReason(err), 500)
		return info
	}
	info.Verified = true
	return info
}

// verifyReason says in words why the chain did not verify, from the
// error's fields rather than x509's developer-facing text; the kind leads
// ("name mismatch", "unknown issuer", "expired") so people and tests can
// key on it.
func verifyReason(err error) string {
	var host x509.HostnameError
	var auth x509.UnknownAuthorityError
	var inv x509.CertificateInvalidError
	switch {
	case errors.As(err, &host):
		names := host.Certificate.DNSNames
		if len(names) == 0 && host.Certificate.Subject.CommonName != "" {
			names = []string{host.Certificate.Subject.CommonName}
		}
		if len(names) == 0 {
			return fmt.Sprintf("name mismatch: the certificate names no host, not %s", host.Host)
		}
		if len(names) > 5 {
			names = append(names[:5:5], fmt.Sprintf("and %d more", len(names)-5))
		}
		return fmt.Sprintf("name mismatch: the certificate is for %s, not %s", strings.Join(names, ", "), host.Host)
	case errors.As(err, &auth):
		return "unknown issuer (self-signed or private CA): no authority this machine trusts signed it"
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		c := inv.Cert
		if time.Now().Before(c.NotBefore) {
			return "not yet valid: the certificate is valid from " + c.NotBefore.UTC().Format(time.RFC3339)
		}
		return "expired: the certificate was valid until " + c.NotAfter.UTC().Format(time.RFC3339)
	case errors.As(err, &inv):
		if inv.Reason == x509.IncompatibleUsage {
			return "invalid certificate: it is not issued for use by a server"
		}
		return "invalid certificate chain: " + strings.TrimPrefix(err.Error(), "x509: ")
	}
	return "could not verify the certificate: " + strings.TrimPrefix(err.Error(), "x509: ")
}

func certInfo(cert *x509.Certificate) CertInfo {
	ci := CertInfo{
		Subject:  safetext.Line(cert.Subject.String(), 300),
		Issuer:   safetext.Line(cert.Issuer.String(), 300),
		NotAfter: cert.NotAfter,
	}
	const maxSANs = 50
	for _, n := range cert.DNSNames {
		ci.SANs = append(ci.SANs, safetext.Line(n, 255))
	}
	for _, ip := range cert.IPAddresses {
		ci.SANs = append(ci.SANs, ip.String())
	}
	if len(ci.SANs) > maxSANs {
		more := len(ci.SANs) - maxSANs
		ci.SANs = append(ci.SANs[:maxSANs], fmt.Sprintf("…[%d more]", more))
	}
	return ci
}
