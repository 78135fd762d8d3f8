package demo_test

import (
	"context"
	"fmt"

	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/demo"
)

// Start the story, send to the Gmail-like server, fix, send again. With
// negative delays every fix takes effect at once.
func Example() {
	ctx := context.Background()
	w, err := demo.Start(ctx, demo.Options{Scenario: demo.ScenarioStory, Propagation: -1, Ramp: -1})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer w.Close()

	show := func() {
		sent, err := w.Send(ctx, demo.ProviderGmail, w.Draft(), nil)
		if err != nil {
			fmt.Println(err)
			return
		}
		switch o := sent.Outcome; o.Verdict {
		case smtpx.Accepted:
			fmt.Println("gmail.example accepted mail from", sent.SourceIP)
		case smtpx.Failed:
			fmt.Println(o.Err)
		default:
			fmt.Printf("gmail.example refused mail from %s at %s: %d %s\n", sent.SourceIP, o.Stage, o.Reply.Code, o.Reply.Enhanced)
		}
	}
	show()
	for _, id := range []string{"ipv6.disable", "spf.publish"} {
		if err := w.Apply(id); err != nil {
			fmt.Println(err)
		}
		show()
	}
	// Output:
	// gmail.example refused mail from 2001:db8::25 at RCPT: 550 5.7.1
	// gmail.example refused mail from 192.0.2.25 at end of data: 550 5.7.26
	// gmail.example accepted mail from 192.0.2.25
}
