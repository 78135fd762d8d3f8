package mta

import (
	"bufio"
	"strconv"
	"strings"
	"time"
)

// RetryEntry is one record of exim's retry database as exim_dumpdb prints
// it: the key ("T:host:ip:port" for a host, "R:address" for an address),
// the error, and when the next try is due.
type RetryEntry struct {
	Key     string
	Error   string
	NextTry time.Time
}

// maxRetryEntries bounds what ParseDumpDB keeps.
const maxRetryEntries = 1000

// ParseDumpDB reads `exim_dumpdb SPOOL retry`: each record is a key line
// ("  T:127.0.0.1:127.0.0.1:1 111 65 Connection refused") then a line of
// three times — first failed, last tried, next try — in exim's
// "06-Dec-2026 06:00:53" form, local time of loc. A trailing " *" marks a
// record past its retry timeout.
func ParseDumpDB(out string, loc *time.Location) []RetryEntry {
	var entries []RetryEntry
	var key, errText string
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 0, 4096), MaxLine)
	for sc.Scan() && len(entries) < maxRetryEntries {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "T:") || strings.HasPrefix(line, "R:") {
			f := strings.Fields(line)
			key, errText = f[0], ""
			if len(f) > 3 {
				errText = strings.Join(f[3:], " ")
			}
			continue
		}
		if key == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 6 {
			continue
		}
		next, err := time.ParseInLocation("02-Jan-2006 15:04:05", f[4]+" "+f[5], loc)
		if err == nil {
			entries = append(entries, RetryEntry{Key: clean(key), Error: clean(errText), NextTry: next})
		}
		key = ""
	}
	return entries
}

// RetryRule is the first rule of an exim retry rule list for a domain,
// as `exim -brt DOMAIN` prints it: "Retry rule: *  *  F,2h,15m; …".
type RetryRule struct {
	Text     string        // the whole rule, "F,2h,15m; G,16h,1h,1.5; F,4d,6h"
	Interval time.Duration // the first retry interval: 15m
}

// ParseRetryRule reads `exim -brt`'s output.
func ParseRetryRule(out string) (RetryRule, bool) {
	for _, line := range strings.Split(out, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "Retry rule:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		// pattern, error, then the rules, separated by ";"
		for i, w := range f {
			if !strings.HasPrefix(w, "F,") && !strings.HasPrefix(w, "G,") && !strings.HasPrefix(w, "H,") {
				continue
			}
			parts := strings.Split(strings.TrimSuffix(w, ";"), ",")
			if len(parts) < 3 {
				return RetryRule{}, false
			}
			d, ok := eximDuration(parts[2])
			if !ok {
				return RetryRule{}, false
			}
			return RetryRule{Text: clean(strings.Join(f[i:], " ")), Interval: d}, true
		}
	}
	return RetryRule{}, false
}

// eximDuration reads exim's "15m", "2h", "1d2h", "30s", "1w".
func eximDuration(s string) (time.Duration, bool) {
	var total time.Duration
	num := ""
	for _, r := range s {
		if r >= '0' && r <= '9' {
			num += string(r)
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil || len(num) > 6 {
			return 0, false
		}
		unit := map[rune]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[r]
		if unit == 0 {
			return 0, false
		}
		total += time.Duration(n) * unit
		num = ""
	}
	if num != "" {
		n, err := strconv.Atoi(num)
		if err != nil || len(num) > 6 {
			return 0, false
		}
		total += time.Duration(n) * time.Second
	}
	return total, total > 0
}
