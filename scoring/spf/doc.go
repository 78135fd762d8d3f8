// Package spf is mailcred's own Sender Policy Framework evaluator (RFC 7208)
// and the four SPF checks of the catalogue: spf.record, spf.lookups, spf.all
// and spf.result.
//
// Evaluate runs check_host() (RFC 7208 §4) through the one resolver,
// scoring/dnsx, and returns the result together with the evaluation tree
// (every record reached through include and redirect, each term, what it
// matched, and the DNS lookups it cost), so a person can see why. Inspect
// walks the whole tree as a linter does, counting every lookup a receiver
// could be made to do. Parse checks a record against the ABNF of RFC 7208
// §12 and names the bad term.
//
// The evaluator is proven against the public conformance suites (the
// open-spf.org RFC 7208 and RFC 4408 suites, pyspf's and blitiri's own
// tests) in testdata/, served by scoring/dnstest over loopback.
package spf
