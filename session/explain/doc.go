// Package explain says what a remote SMTP server's answer means: accepted,
// deferred or rejected; at which stage of the conversation; the provider's
// own code decoded (Outlook's S3140, Yahoo's TSS04, Gmail's 5.7.26 ...);
// what the stage rules out; which checks of the catalogue to look at; and
// the fix with the provider's remediation page.
//
// The knowledge is data, not code: the YAML files under data/ (embedded) are
// a table of entries, one per provider reply, each citing its source. Load
// parses and validates them once; Explain picks the most specific entry that
// matches a reply (bracket code > enhanced code with text > enhanced code >
// basic code), falling back to the generic meanings of RFC 3463 and RFC 5321.
package explain
