// Package interop holds the tests that drive real peers over loopback
// against mailcred's own SMTP code: mailcred's client (smtpc) delivering
// through a real Exim with STARTTLS into a maildir, its DKIM signature
// checked on the landed copy, and swaks, the reference SMTP client,
// talking to mailcred's test server (smtptest).
//
// Each test skips with the install command when its peer is absent;
// .ci/install-peers installs them all. Nothing here listens or connects
// beyond 127.0.0.1, and every process a test starts is bounded in time and
// killed when the test ends. The package has no code outside its tests.
package interop
