// Command mailcred is a terminal workbench for the credibility of an
// outgoing mail server: SPF, DKIM, DMARC, reverse DNS, blocklists, TLS and
// the SMTP conversation, scored and explained.
package main

import (
	"os"

	"github.com/mailcred/mailcred/cmd/mailcred/cli"
)

func main() {
	os.Exit(cli.Main(cli.IO{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Env: os.Environ()}, os.Args[1:]))
}
