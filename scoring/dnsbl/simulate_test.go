package dnsbl

import (
	"context"
	"testing"
	"time"

	"github.com/mailcred/mailcred/scoring/dnstest"
	"github.com/mailcred/mailcred/scoring/dnsx"
)

func TestSimulatedZoneLooksHealthyAndListsWhatItIsTold(t *testing.T) {
	lists := Catalogue()
	zone, err := SimulatedZone(lists, map[string]string{"192.0.2.99": "127.0.0.2"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := dnstest.Start(zone)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	r, err := dnsx.New(dnsx.Config{Servers: []string{srv.Addr}, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lists {
		if h := HealthCheck(context.Background(), r, l); h.Err != nil {
			t.Errorf("%s unhealthy in the simulated zone: %v", l.Name, h.Err)
		}
	}
	res := Query(context.Background(), r, Filter(lists, IPList), "192.0.2.99")
	if !res[0].Listed {
		t.Fatalf("%s: 192.0.2.99 not listed in the simulated zone: %+v", res[0].List.Name, res[0])
	}
}
