package cli

import "testing"

// TestReceiveSharesACacheAcrossMessages sends the same sender's message
// twice: the second is scored from answers kept from the first (for their
// TTL), so it asks the DNS server next to nothing.
func TestReceiveSharesACacheAcrossMessages(t *testing.T) {
	dns := loopbackServer(t)
	r := startReceive(t, nil, "receive", "--listen", "127.0.0.1:0", "--resolver", dns.Addr, "--format", "json")
	defer r.stop(t)
	if _, err := sendTo(t, r.addr, "bob@example.org", goodMessage(t)); err != nil {
		t.Fatal(err)
	}
	first := dns.Queries()
	if _, err := sendTo(t, r.addr, "bob@example.org", goodMessage(t)); err != nil {
		t.Fatal(err)
	}
	second := dns.Queries() - first
	t.Logf("first message: %d questions, second: %d", first, second)
	if first == 0 || second*4 > first {
		t.Errorf("the second message asked %d questions after the first's %d: answers were not kept", second, first)
	}
}
