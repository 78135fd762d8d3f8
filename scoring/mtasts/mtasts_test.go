package mtasts

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring"
	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
	"github.com/mailcred/mailcred/scoring/fixproof"
)

// policyServer is an in-process HTTPS server on loopback that serves one
// policy file; its certificate names certName, signed by its own CA.
type policyServer struct {
	srv    *httptest.Server
	pool   *x509.CertPool
	mu     sync.Mutex
	body   string
	status int
	ctype  string
}

func (p *policyServer) set(status int, ctype, body string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status, p.ctype, p.body = status, ctype, body
}

func newPolicyServer(t *testing.T, certName string) *policyServer {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: certName},
		DNSNames: []string{certName}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	p := &policyServer{pool: x509.NewCertPool(), status: 200, ctype: "text/plain"}
	p.pool.AddCert(caCert)
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if r.URL.Path != "/.well-known/mta-sts.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", p.ctype)
		w.WriteHeader(p.status)
		w.Write([]byte(p.body))
	}))
	p.srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	p.srv.StartTLS()
	t.Cleanup(p.srv.Close)
	return p
}

// client dials the policy server whatever name is asked (the name still
// decides certificate verification) and trusts only its CA: tests never
// leave loopback.
func (p *policyServer) client() *http.Client {
	addr := p.srv.Listener.Addr().String()
	d := &net.Dialer{Timeout: time.Second}
	return &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: p.pool},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
	}}
}

const zone = `example.com. 300 IN MX 10 mx1.example.com.
example.com. 300 IN MX 20 mx2.example.com.
mx1.example.com. 300 IN A 192.0.2.1
mx2.example.com. 300 IN A 192.0.2.2
`

func world(t *testing.T, extra string, p *policyServer) (*dnstest.Server, *scoring.Env) {
	t.Helper()
	srv, err := dnstest.Start(zone + extra)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	r, err := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return srv, &scoring.Env{Evidence: scoring.Evidence{Domain: "example.com"}, DNS: r, HTTPS: p.client()}
}

func check(t *testing.T, env *scoring.Env) scoring.Result {
	t.Helper()
	env.DNS.Flush()
	r := scoring.RunAll(context.Background(), env, Checks())[0]
	t.Logf("%s: %s\n%s", r.Status, r.Title, r.Detail)
	return r
}

const enforce = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\nmx: *.example.com\r\nmax_age: 604800\r\n"

func TestMTASTS(t *testing.T) {
	p := newPolicyServer(t, "mta-sts.example.com")
	txt := `_mta-sts.example.com. 300 IN TXT "v=STSv1; id=20260601T1"` + "\n"
	for _, tc := range []struct {
		name, txt, body, ctype string
		status                 int
		want                   scoring.Status
		title                  string
	}{
		{name: "no record (RFC 8461 §3.1)", want: scoring.Info, title: "No MTA-STS policy"},
		{name: "enforce, every MX matches (§4.1)", txt: txt, body: enforce, want: scoring.Pass, title: "every MX matches"},
		{name: "enforce, an MX outside the patterns", txt: txt,
			body: "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 604800\n", want: scoring.Fail, title: "mx2.example.com matches no mx"},
		{name: "testing, an MX outside", txt: txt,
			body: "version: STSv1\nmode: testing\nmx: mx1.example.com\nmax_age: 604800\n", want: scoring.Warn, title: "reported, not yet refused"},
		{name: "testing, all match", txt: txt, body: strings.Replace(enforce, "enforce", "testing", 1), want: scoring.Info, title: "still deliver"},
		{name: "mode none (§5)", txt: txt, body: "version: STSv1\nmode: none\nmax_age: 86400\n", want: scoring.Warn, title: "withdrawn"},
		{name: "max_age under a day (§3.2)", txt: txt, body: strings.Replace(enforce, "604800", "300", 1), want: scoring.Warn, title: "under a day"},
		{name: "no max_age (§3.2)", txt: txt, body: "version: STSv1\nmode: enforce\nmx: mx1.example.com\n", want: scoring.Fail, title: "max_age: is missing"},
		{name: "version not first (§3.2)", txt: txt, body: "mode: enforce\nversion: STSv1\nmx: a.example.com\nmax_age: 1\n", want: scoring.Fail, title: "first field"},
		{name: "404", txt: txt, body: "nope", status: 404, want: scoring.Fail, title: "HTTP 404"},
		{name: "redirect not followed (§3.3)", txt: txt, status: 301, want: scoring.Fail, title: "301"},
		{name: "two records (§3.1)", txt: txt + `_mta-sts.example.com. 300 IN TXT "v=STSv1; id=2"` + "\n", body: enforce, want: scoring.Fail, title: "2 v=STSv1 records"},
		{name: "id too long (§3.1)", txt: `_mta-sts.example.com. 300 IN TXT "v=STSv1; id=` + strings.Repeat("a", 33) + `"` + "\n", body: enforce, want: scoring.Fail, title: "id="},
		{name: "wrong content type still read", txt: txt, body: enforce, ctype: "text/html", want: scoring.Pass},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, ctype := tc.status, tc.ctype
			if status == 0 {
				status = 200
			}
			if ctype == "" {
				ctype = "text/plain"
			}
			p.set(status, ctype, tc.body)
			_, env := world(t, tc.txt, p)
			r := check(t, env)
			if r.Status != tc.want || !strings.Contains(r.Title, tc.title) {
				t.Fatalf("%s %q, want %s %q", r.Status, r.Title, tc.want, tc.title)
			}
			if (r.Status == scoring.Fail || r.Status == scoring.Warn) && (r.Fix == nil || !strings.Contains(r.Fix.Summary, URL("example.com"))) && !strings.Contains(r.Title, "records") && !strings.Contains(r.Title, "id=") {
				t.Errorf("fix does not say where to serve the policy: %+v", r.Fix)
			}
			if tc.body != "" && r.Status == scoring.Fail && strings.Contains(r.Title, "policy file") && !strings.Contains(r.Detail, strings.Split(strings.ReplaceAll(tc.body, "\r", ""), "\n")[0]) {
				t.Errorf("detail does not show the file as served")
			}
		})
	}
}

// A certificate not valid for mta-sts.<domain> is a failure (RFC 8461
// §3.3: the policy host's certificate must be valid for its name).
func TestMTASTSCertificateForAnotherName(t *testing.T) {
	p := newPolicyServer(t, "www.example.com")
	p.set(200, "text/plain", enforce)
	_, env := world(t, `_mta-sts.example.com. 300 IN TXT "v=STSv1; id=1"`+"\n", p)
	r := check(t, env)
	if r.Status != scoring.Fail || !strings.Contains(r.Title, "certificate") {
		t.Fatalf("%s %s", r.Status, r.Title)
	}
}

// The fix round trip: serve the printed policy file, publish the printed
// TXT record, and the check passes (after the staged testing → enforce).
func TestMTASTSFixRoundTrip(t *testing.T) {
	p := newPolicyServer(t, "mta-sts.example.com")
	p.set(200, "text/plain", "version: STSv1\nmode: enforce\nmx: mx1.example.com\nmax_age: 604800\n")
	srv, env := world(t, `_mta-sts.example.com. 300 IN TXT "v=STSv1; id=1"`+"\n", p)
	for round := 0; round < 3; round++ {
		r := check(t, env)
		if r.Status == scoring.Pass {
			return
		}
		if r.Fix == nil || r.Fix.Snippet == "" {
			t.Fatalf("round %d: %s without a policy file to serve", round, r.Status)
		}
		p.set(200, "text/plain", r.Fix.Snippet)
		if err := fixproof.Publish(srv, r.Fix.Records); err != nil {
			t.Fatal(err)
		}
	}
	t.Fatal("no pass after three rounds of fixes")
}

// RFC 8461 §4.1: "*.example.com" matches one leftmost label only.
func TestPatternMatching(t *testing.T) {
	p := &Policy{MX: []string{"*.example.com", "mail.example.net"}}
	for host, want := range map[string]bool{
		"mx1.example.com": true, "MX1.Example.COM.": true, "a.b.example.com": false, "example.com": false,
		"mail.example.net": true, "x.mail.example.net": false,
	} {
		if p.Matches(host) != want {
			t.Errorf("%s: %v", host, !want)
		}
	}
}
