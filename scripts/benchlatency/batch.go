package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// dkimpyBatch verifies every message file given in one Python process
// with dkimpy (python3-dkim), asking the world's DNS server for the keys
// through dnspython: the reference for scoring a batch.
const dkimpyBatch = `
import sys, dkim, dns.resolver
server, port = sys.argv[1].rsplit(":", 1)
res = dns.resolver.Resolver(configure=False)
res.nameservers = [server]
res.port = int(port)
def dnsfunc(name, timeout=5):
    name = name.decode() if isinstance(name, bytes) else name
    try:
        ans = res.resolve(name, "TXT", lifetime=timeout)
    except Exception:
        return None
    return b"".join(b"".join(r.strings) for r in ans)
ok = 0
for path in sys.argv[2:]:
    with open(path, "rb") as f:
        if dkim.verify(f.read(), dnsfunc=dnsfunc):
            ok += 1
print(ok)
`

// runBatch writes n signed messages as files and as one mbox, times
// `mailcred score` over the directory and over the mbox (0 ms DNS), and
// dkimpy verifying the same files in one process.
func runBatch(out io.Writer, dir string, n int) error {
	w, err := newWorld(dir, 2)
	if err != nil {
		return err
	}
	defer w.close()
	msgs := filepath.Join(w.dir, "batch")
	if err := os.Mkdir(msgs, 0o755); err != nil {
		return err
	}
	var mbox bytes.Buffer
	var files []string
	for i := 0; i < n; i++ {
		m, err := w.signedMessage(fmt.Sprintf("Message %d of the batch.\nSecond line.\n", i))
		if err != nil {
			return err
		}
		path := filepath.Join(msgs, fmt.Sprintf("%05d.eml", i))
		if err := os.WriteFile(path, m, 0o644); err != nil {
			return err
		}
		files = append(files, path)
		fmt.Fprintf(&mbox, "From alice@example.com Sat Jan  1 00:00:00 2000\n%s\n", bytes.ReplaceAll(m, []byte("\r\n"), []byte("\n")))
	}
	mboxFile := filepath.Join(w.dir, "batch.mbox")
	if err := os.WriteFile(mboxFile, mbox.Bytes(), 0o644); err != nil {
		return err
	}
	score := func(input string) (time.Duration, error) {
		return mailcred("score", input, "--ip", w.ips[0].String(), "--helo", mailHost, "--mail-from", from,
			"--resolver", w.dns.Addr, "--timeout", "2s", "--format", "json")
	}
	score(msgs) // warm-up: the first run builds what later ones reuse
	cpu0 := cpuTime()
	tDir, err := score(msgs)
	if err != nil {
		return err
	}
	cpuDir := cpuTime() - cpu0 // this process: the command and the DNS server it asks
	tMbox, err := score(mboxFile)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "score batch, %d messages, 0 ms DNS: directory %.0f ms (%.2f ms/message; CPU %.0f ms, %.2f ms/message with the DNS server's), mbox %.0f ms\n",
		n, ms(tDir), ms(tDir)/float64(n), ms(cpuDir), ms(cpuDir)/float64(n), ms(tMbox))
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		fmt.Fprintln(out, "dkimpy: /usr/bin/python3 not found (apt-get install python3-dkim python3-dnspython)")
		return nil
	}
	start := time.Now()
	cmd := exec.Command(py, append([]string{"-c", dkimpyBatch, w.dns.Addr}, files...)...)
	got, err := cmd.CombinedOutput()
	tPy := time.Since(start)
	if err != nil {
		fmt.Fprintf(out, "dkimpy: not run (%v: %s); install with apt-get install python3-dkim python3-dnspython\n", err, firstLines(string(got), 2))
		return nil
	}
	pyCPU := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	fmt.Fprintf(out, "dkimpy batch verify (one process, DKIM only), %d messages: %.0f ms (CPU %.0f ms), %s verified; mailcred score / dkimpy = %.2f wall, %.2f CPU\n",
		n, ms(tPy), ms(pyCPU), strings.TrimSpace(string(got)), float64(tDir)/float64(tPy), float64(cpuDir)/float64(pyCPU))
	return nil
}

// cpuTime is the CPU (user + system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
