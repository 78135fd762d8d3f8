// Package onboard is the path a VPS owner follows to send mail from a new
// server: public addresses, port-25 egress, PTR, HELO, SPF, DKIM (key and
// MTA configuration), DMARC staged none → quarantine → reject, MTA-STS and
// TLS-RPT, and a test send through the MTA, closed loop.
//
// Check computes every step's live state from the engine (DNS through the
// configured resolver, probes with short timeouts, the MTA's own settings);
// it changes nothing. A step that can be fixed on this host offers an
// Action: its Preview says exactly what will change (a diff, a file and
// its mode and group) and Apply does it only when called, after the
// person said yes, keeping a backup so every write can be undone.
package onboard
