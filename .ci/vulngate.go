//go:build ignore

// vulngate reads `govulncheck -format json` on stdin, prints one line per
// vulnerability and exits 1 when the code calls a vulnerable function of a
// dependency that has a fixed version (upgrading the module fixes it).
// Standard-library findings are printed but do not fail the run: their fix
// is a newer Go toolchain, which this project's machines take from their
// image, not from go.mod. Usage (see .ci/run):
//
//	govulncheck -db file://DIR -format json ./... | go run .ci/vulngate.go
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
)

type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
}

type message struct {
	Config *struct {
		DB        string `json:"db"`
		GoVersion string `json:"go_version"`
	} `json:"config"`
	Finding *struct {
		OSV          string  `json:"osv"`
		FixedVersion string  `json:"fixed_version"`
		Trace        []frame `json:"trace"`
	} `json:"finding"`
}

type vuln struct {
	id, module, version, fixed string
	level                      int // 0 module required, 1 package imported, 2 function called
}

func main() {
	dec := json.NewDecoder(os.Stdin)
	vulns := map[string]*vuln{}
	for {
		var m message
		if err := dec.Decode(&m); err == io.EOF {
			break
		} else if err != nil {
			fmt.Fprintln(os.Stderr, "vulngate: reading govulncheck output:", err)
			os.Exit(2)
		}
		if m.Config != nil {
			fmt.Printf("govulncheck database %s, %s\n", m.Config.DB, m.Config.GoVersion)
		}
		f := m.Finding
		if f == nil || len(f.Trace) == 0 {
			continue
		}
		top := f.Trace[0]
		level := 0
		switch {
		case top.Function != "":
			level = 2
		case top.Package != "":
			level = 1
		}
		v := vulns[f.OSV]
		if v == nil {
			v = &vuln{id: f.OSV, module: top.Module, version: top.Version, fixed: f.FixedVersion}
			vulns[f.OSV] = v
		}
		v.level = max(v.level, level)
	}
	ids := make([]string, 0, len(vulns))
	for id := range vulns {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	fatal, stdlibCalled := 0, 0
	for _, id := range ids {
		v := vulns[id]
		what := [...]string{"module required", "package imported", "CALLED"}[v.level]
		verdict := ""
		switch {
		case v.level < 2:
			verdict = "not reachable"
		case v.module == "stdlib" || v.module == "toolchain":
			verdict = "needs Go " + v.fixed + " (the machine's toolchain)"
			stdlibCalled++
		case v.fixed != "":
			verdict = "FIX: upgrade " + v.module + " to " + v.fixed
			fatal++
		default:
			verdict = "no fixed version yet"
		}
		fmt.Printf("%s  %s@%s  %s  %s\n", v.id, v.module, v.version, what, verdict)
	}
	fmt.Printf("vulngate: %d vulnerabilities, %d called in the standard library, %d called and fixable by upgrading a module\n",
		len(vulns), stdlibCalled, fatal)
	if fatal > 0 {
		os.Exit(1)
	}
}
