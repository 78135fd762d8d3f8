package smtpc

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/smtptest"
)

func TestTLSVerificationAgainstTheMXName(t *testing.T) {
	srv := startServer(t, smtptest.Options{})
	tests := []struct {
		name       string
		serverName string
		trustCA    bool
		require    bool
		verified   bool
		reason     string // in VerifyError
		fatal      bool
	}{
		{"the test CA and the right name verify", "mx.test", true, false, true, "", false},
		{"an IP address is checked against IP SANs", "127.0.0.1", true, false, true, "", false},
		{"a wrong name is reported, the session goes on", "wrong.test", true, false, false, "name mismatch: the certificate is for mx.test, localhost, not wrong.test", false},
		{"an unknown CA is reported, the session goes on", "mx.test", false, false, false, "unknown issuer", false},
		{"a wrong name ends the session when verification is required", "wrong.test", true, true, false, "name mismatch", true},
		{"an unknown CA ends the session when verification is required", "mx.test", false, true, false, "unknown issuer", true},
		{"required verification passes with the right name", "mx.test", true, true, true, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			o := options(srv.Addr(), srv, rec)
			o.ServerName = tc.serverName
			o.RequireVerifiedTLS = tc.require
			o.TLSMode = TLSStartTLS
			if !tc.trustCA {
				o.RootCAs = nil // system roots do not know the test CA
			}
			before := len(srv.Messages())
			_, err := Deliver(context.Background(), o, Envelope{From: "a@b", To: []string{"c@d"}}, []byte(testMessage))

			var info *TLSInfo
			for _, e := range rec.all() {
				if e.Kind == KindTLS {
					info = e.TLS
				}
			}
			if info == nil {
				t.Fatalf("no TLS event:\n%s", rec.transcript())
			}
			if info.Verified != tc.verified || !strings.Contains(info.VerifyError, tc.reason) || info.ServerName != tc.serverName {
				t.Errorf("TLS info = %+v, want verified=%v reason %q", info, tc.verified, tc.reason)
			}
			if info.Version != "TLS 1.3" || !strings.HasPrefix(info.CipherSuite, "TLS_") || len(info.Chain) != 1 {
				t.Errorf("TLS info = %+v", info)
			}
			leaf := info.Chain[0]
			if leaf.Subject != "CN=mx.test" || !strings.Contains(leaf.Issuer, "mailcred smtptest CA") ||
				!slices.Equal(leaf.SANs, []string{"mx.test", "localhost", "127.0.0.1"}) || !leaf.NotAfter.Equal(srv.Certificate().Leaf.NotAfter) {
				t.Errorf("leaf = %+v", leaf)
			}
			if tc.fatal {
				if !errors.Is(err, ErrNotVerified) {
					t.Fatalf("err = %v, want ErrNotVerified", err)
				}
				if st, _ := StageOf(err); st != smtpx.STARTTLS {
					t.Errorf("stage = %v", st)
				}
				if !strings.Contains(err.Error(), tc.reason) {
					t.Errorf("error %q does not say why", err)
				}
				if len(srv.Messages()) != before {
					t.Error("a message went out over an unverified connection")
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v\n%s", err, rec.transcript())
			}
			want := "certificate verified for " + tc.serverName
			if !tc.verified {
				want = "certificate NOT verified for " + tc.serverName + ": "
			}
			if !strings.Contains(rec.transcript(), want) {
				t.Errorf("transcript lacks %q:\n%s", want, rec.transcript())
			}
		})
	}
}

func TestCertificateTextIsSanitised(t *testing.T) {
	cert, err := smtptest.NewCertificate("mx.test", "evil\x1b[2J.test")
	if err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, smtptest.Options{Certificate: cert})
	rec := &recorder{}
	if _, err := Deliver(context.Background(), options(srv.Addr(), srv, rec), Envelope{From: "a@b", To: []string{"c@d"}}, []byte(testMessage)); err != nil {
		t.Fatal(err)
	}
	assertClean(t, rec.all())
	if !strings.Contains(rec.transcript(), `evil\e[2J.test`) {
		t.Errorf("escaped SAN not shown:\n%s", rec.transcript())
	}
}

func TestNoClearRetryWhenVerificationIsRequired(t *testing.T) {
	srv := startServer(t, smtptest.Options{})
	rec := &recorder{}
	o := options(srv.Addr(), srv, rec)
	o.ServerName = "wrong.test"
	o.RequireVerifiedTLS = true // TLSMode stays opportunistic
	d, err := Deliver(context.Background(), o, Envelope{From: "a@b", To: []string{"c@d"}}, []byte(testMessage))
	if !errors.Is(err, ErrNotVerified) || d != nil && d.ClearRetry {
		t.Fatalf("err = %v, delivery %+v", err, d)
	}
	if n := strings.Count(rec.transcript(), "=== Trying"); n != 1 || len(srv.Messages()) != 0 {
		t.Errorf("%d connections, %d messages:\n%s", n, len(srv.Messages()), rec.transcript())
	}
}
