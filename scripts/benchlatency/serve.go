package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/miekg/dns"

	"github.com/mailcred/mailcred/scoring/dnsx"
)

// serve writes the world's files for the peers' comparison into dir and
// keeps the DNS server up (0 ms) until standard input closes: the small
// message (small.eml), a 1 MB and a 10 MB one (1m.eml, 10m.eml), and
// mailauth's DNS cache file (dns-cache.json) holding every answer
// mailcred asked for while scoring them, in the shape node's
// dns.resolve gives. It prints the DNS server's address.
func serve(out io.Writer, dir string) error {
	w, err := newWorld(dir, 2)
	if err != nil {
		return err
	}
	defer w.close()
	files := map[string][]byte{"small.eml": w.message}
	for name, size := range map[string]int{"1m.eml": 1 << 20, "10m.eml": 10 << 20} {
		line := strings.Repeat("All work and no play makes a long message, line after line. ", 1) + "\n"
		m, err := w.signedMessage(strings.Repeat(line, size/len(line)))
		if err != nil {
			return err
		}
		files[name] = m
	}
	w.dns.ResetLog()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
		if _, err := mailcred("score", p, "--ip", w.ips[0].String(), "--helo", mailHost, "--mail-from", from,
			"--resolver", w.dns.Addr, "--format", "json"); err != nil {
			return err
		}
	}
	cache := map[string]map[string]any{}
	for _, q := range w.dns.Log() {
		name := strings.TrimSuffix(dnsx.Fqdn(q.Name), ".")
		typ := dns.TypeToString[q.Qtype]
		var answers []any
		for _, rr := range w.dns.Records(q.Name) {
			if rr.Header().Rrtype != q.Qtype {
				continue
			}
			switch v := rr.(type) {
			case *dns.TXT:
				answers = append(answers, v.Txt)
			case *dns.A:
				answers = append(answers, v.A.String())
			case *dns.AAAA:
				answers = append(answers, v.AAAA.String())
			case *dns.MX:
				answers = append(answers, map[string]any{"exchange": strings.TrimSuffix(v.Mx, "."), "priority": v.Preference})
			case *dns.PTR:
				answers = append(answers, strings.TrimSuffix(v.Ptr, "."))
			}
		}
		if len(answers) == 0 {
			continue
		}
		if cache[name] == nil {
			cache[name] = map[string]any{}
		}
		cache[name][typ] = answers
	}
	b, err := json.MarshalIndent(cache, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "dns-cache.json"), b, 0o644); err != nil {
		return err
	}
	fmt.Fprintln(out, w.dns.Addr)
	fmt.Fprintln(out, w.ips[0])
	if f, ok := out.(*os.File); ok {
		f.Sync()
	}
	io.Copy(io.Discard, os.Stdin) // until the script closes it
	return nil
}
