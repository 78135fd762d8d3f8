// Package session is a send session as a library, shared by `mailcred
// send` and the TUI: a Plan (the draft, the envelope, the route, AUTH,
// DKIM) is validated as a whole, described before anything is sent
// (Describe: the MX hosts in preference order with their addresses, the
// local address), then sent (Send): rendered, DKIM-signed and verified,
// delivered over the route with a live transcript, and the server's
// answer explained. The Outcome feeds the checks (Outcome.Evidence).
//
// Nothing here sends mail unless Send is called; a Plan is a value that
// Send never changes, so a draft survives any failure.
package session
