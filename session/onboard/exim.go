package onboard

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/mailcred/mailcred/session/mta"
)

// eximDKIMEdit returns the exim configuration with remote_smtp signing:
// in a whole configuration file, the dkim_ options are inserted into the
// remote_smtp transport after its driver line; in Debian's macro file
// (exim4.conf.localmacros or conf.d/main/000_localmacros) the DKIM_
// macros Debian's remote_smtp transport reads are appended.
func eximDKIMEdit(path, text, domain, selector, keyPath string) (string, error) {
	if strings.Contains(text, "dkim_domain") || strings.Contains(text, "DKIM_DOMAIN") {
		return "", fmt.Errorf("%s already sets DKIM options: edit them by hand", path)
	}
	if strings.Contains(text, "begin transports") {
		inTransport := false
		block := fmt.Sprintf("  dkim_domain = %s\n  dkim_selector = %s\n  dkim_private_key = %s\n  dkim_canon = relaxed\n", domain, selector, keyPath)
		out, ok := insertAfter(text, block, func(l string) bool {
			if strings.HasSuffix(l, ":") && !strings.Contains(l, " ") {
				inTransport = l == "remote_smtp:"
			}
			return inTransport && strings.ReplaceAll(l, " ", "") == "driver=smtp"
		})
		if !ok {
			return "", fmt.Errorf("%s has no remote_smtp transport with \"driver = smtp\": add the dkim_ options to the transport your mail leaves by", path)
		}
		return out, nil
	}
	macros := fmt.Sprintf("# DKIM signing by remote_smtp, added by mailcred onboard\nDKIM_CANON = relaxed\nDKIM_DOMAIN = %s\nDKIM_SELECTOR = %s\nDKIM_PRIVATE_KEY = %s\n", domain, selector, keyPath)
	if text != "" && !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	return text + macros, nil
}

var routeListRE = regexp.MustCompile(`route_list = \* \S+ byname`)

// eximCaptureEdit inserts the capture router first in the routers.
func eximCaptureEdit(path, text string, capture netip.AddrPort) (string, error) {
	if i := strings.Index(text, "mailcred_capture:"); i >= 0 {
		// Already there: point it at this capture if it names another.
		want := fmt.Sprintf("route_list = * %s::%d byname", capture.Addr(), capture.Port())
		m := routeListRE.FindStringIndex(text[i:])
		if m == nil {
			return "", fmt.Errorf("%s has a mailcred_capture router without a route_list: fix it by hand", path)
		}
		return text[:i+m[0]] + want + text[i+m[1]:], nil
	}
	router := mta.EximCaptureRouter(capture, "") + "\n"
	out, ok := insertAfter(text, router, func(l string) bool { return l == "begin routers" })
	if !ok {
		return "", fmt.Errorf("%s has no \"begin routers\" line: add the capture router by hand:\n%s", path, router)
	}
	return out, nil
}

// eximReload is what makes exim read an edited file.
func eximReload(path string) []string {
	switch {
	case strings.HasPrefix(path, "/etc/exim4/conf.d/") || strings.HasPrefix(path, "/etc/exim4/exim4.conf.localmacros") || path == "/etc/exim4/exim4.conf.template":
		return []string{"update-exim4.conf", "exim4 -bV", "systemctl reload exim4"}
	}
	return []string{"exim4 -C " + path + " -bV   (checks the candidate; install it when the test send passes)"}
}
