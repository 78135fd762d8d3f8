package smtptest

import "net"

// Greet listens on address (network "tcp4" or "tcp6"), writes the 220
// greeting line to every connection and closes it: what a port-25 probe
// needs to see of a mail server. Close the listener to stop it.
func Greet(network, address, greeting string) (net.Listener, error) {
	ln, err := net.Listen(network, address)
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte(greeting + "\r\n"))
			c.Close()
		}
	}()
	return ln, nil
}
