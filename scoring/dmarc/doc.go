// Package dmarc reads, discovers and evaluates DMARC policies the way a
// linter must: every problem in a record is listed, not just the first.
//
// RFC 9989 (May 2026, "DMARCbis") is the primary specification: a record
// without p= but with a valid rua= is p=none, pct/rf/ri are removed, np, psd
// and t are added, and the DNS Tree Walk replaces the Public Suffix List for
// finding policies and Organizational Domains. RFC 7489 behaviour is kept
// where receivers still follow it: the PSL Organizational Domain is always
// reported (OrganizationalDomain, DiscoverRFC7489, EvaluateWith(RFC7489)),
// and each Finding says whether RFC 7489's stricter grammar rejects what
// RFC 9989 tolerates.
//
// go-msgauth's dmarc parser is not used: it predates RFC 9989 (it rejects a
// record without p=) and stops at the first error.
//
// All DNS goes through scoring/dnsx; the checks dmarc.record and
// dmarc.reporting are in Checks.
package dmarc
