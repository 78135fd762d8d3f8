package dnsbl

import (
	"fmt"
	"strings"
)

// SimulatedZone returns master-file records that make an in-process DNS
// server (tests, the offline demo world) behave like the real lists at
// their RFC 5782 §5 test points, so the health check finds them working.
// listed maps extra targets (IPs or domains) to the answer each list
// should give them, e.g. {"192.0.2.5": "127.0.0.2"}.
func SimulatedZone(lists []List, listed map[string]string) (string, error) {
	var b strings.Builder
	for _, l := range lists {
		// An SOA, as every real list zone has: its "not listed" answers
		// then carry a negative TTL (RFC 2308) and can be cached.
		zone := strings.Trim(l.Zone, ".") + "."
		fmt.Fprintf(&b, "%s 300 IN SOA ns.%s hostmaster.%s 1 7200 3600 1209600 300\n", zone, zone, zone)
		if l.TestListed != "" {
			if err := simulatedRecord(&b, l, l.TestListed, firstListingCode(l)); err != nil {
				return "", err
			}
		}
		for tgt, answer := range listed {
			t, err := parseTarget(tgt)
			if err != nil {
				return "", err
			}
			if ok, _ := l.supports(t); !ok {
				continue
			}
			if err := simulatedRecord(&b, l, tgt, answer); err != nil {
				return "", err
			}
		}
	}
	return b.String(), nil
}

func simulatedRecord(b *strings.Builder, l List, tgt, answer string) error {
	t, err := parseTarget(tgt)
	if err != nil {
		return err
	}
	name, err := queryName(t, l.Zone)
	if err != nil {
		return err
	}
	fmt.Fprintf(b, "%s 300 IN A %s\n", name, answer)
	return nil
}

// firstListingCode is the answer a list gives its own listed test point.
func firstListingCode(l List) string {
	if len(l.Codes) > 0 {
		return l.Codes[0].Addr.String()
	}
	if len(l.Bits) > 0 {
		var all byte // every meaning at once, as test.uribl.com answers 127.0.0.14
		for _, bit := range l.Bits {
			all |= bit.Mask
		}
		return fmt.Sprintf("127.0.0.%d", all)
	}
	return "127.0.0.2"
}
