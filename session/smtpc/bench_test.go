package smtpc

import (
	"context"
	"testing"

	"github.com/mailcred/mailcred/session/smtptest"
)

// BenchmarkDeliver times one whole send — connect, EHLO, (STARTTLS, EHLO),
// MAIL, RCPT, DATA, QUIT — to a go-smtp server on loopback, reporting the
// events of a session too.
func BenchmarkDeliver(b *testing.B) {
	for _, mode := range []TLSMode{TLSNone, TLSStartTLS} {
		b.Run(string(mode), func(b *testing.B) {
			srv := startServer(b, smtptest.Options{})
			var events int
			o := options(srv.Addr(), srv, nil)
			o.TLSMode = mode
			o.Events = func(Event) { events++ }
			env := Envelope{From: "a@sender.test", To: []string{"b@rcpt.test"}}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Deliver(context.Background(), o, env, []byte(testMessage)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(events)/float64(b.N), "events/op")
		})
	}
}
