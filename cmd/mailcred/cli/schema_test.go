package cli

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/mailcred/mailcred/scoring/smtpx"
	"github.com/mailcred/mailcred/session/smtptest"
)

const schemaBase = "https://github.com/mailcred/mailcred/schemas/"

// compileSchemas loads every embedded schema as a resource under its $id
// and compiles them all.
func compileSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	names := append(schemaNames(), "common")
	for _, n := range names {
		b, err := schemaFiles.ReadFile("schemas/" + n + ".json")
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s.json: %v", n, err)
		}
		if id, _ := doc.(map[string]any)["$id"].(string); id != schemaBase+n+".json" {
			t.Fatalf("%s.json: $id %q", n, id)
		}
		if err := c.AddResource(schemaBase+n+".json", doc); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string]*jsonschema.Schema{}
	for _, n := range names {
		s, err := c.Compile(schemaBase + n + ".json")
		if err != nil {
			t.Fatalf("compile %s: %v", n, err)
		}
		out[n] = s
	}
	return out
}

// validate checks one JSON document against the named schema.
func matchSchema(schema *jsonschema.Schema, doc string) error {
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err != nil {
		return err
	}
	return schema.Validate(v)
}

// TestJSONOutputsMatchTheirSchemas runs every command that prints JSON,
// on passing and failing inputs, and validates each document.
func TestJSONOutputsMatchTheirSchemas(t *testing.T) {
	schemas := compileSchemas(t)
	good, bare, dead := world(t, false), world(t, true), deadResolver(t)
	fast := []string{"--timeout", "100ms"}
	for _, tc := range []struct {
		name, schema string
		args         func(t *testing.T) []string
	}{
		{"check healthy", "check", func(*testing.T) []string { return checkArgs(good, "--format", "json", "--dkim-key", keyFile) }},
		{"check bare", "check", func(*testing.T) []string { return checkArgs(bare, "--format", "json") }},
		{"check unanswered", "check", func(*testing.T) []string { return checkArgs(dead, append(fast, "--format", "json")...) }},
		{"spf pass", "spf", func(*testing.T) []string {
			return []string{"spf", "--resolver", good, "--ip", "192.0.2.10", "--sender", "a@example.com", "--format", "json"}
		}},
		{"spf none", "spf", func(*testing.T) []string {
			return []string{"spf", "--resolver", bare, "--ip", "192.0.2.10", "--sender", "a@example.com", "--format", "json"}
		}},
		{"spf temperror", "spf", func(*testing.T) []string {
			return []string{"spf", "--resolver", dead, "--timeout", "100ms", "--ip", "192.0.2.10", "--sender", "a@example.com", "--format", "json"}
		}},
		{"score signed", "score", func(t *testing.T) []string {
			return scoreArgs(good, writeFile(t, "good.eml", goodMessage(t)), "--format", "json")
		}},
		{"score story", "score", func(t *testing.T) []string {
			return scoreArgs(bare, writeFile(t, "story.eml", storyMessage()), "--format", "json")
		}},
		{"send accepted", "send", func(t *testing.T) []string {
			srv, ca, _ := submission(t, nil)
			return sendArgs(good, srv.Addr(), ca, "--yes", "--format", "json", "--auth-password-file", passwordFile(t))
		}},
		{"send rejected", "send", func(t *testing.T) []string {
			srv, ca, _ := submission(t, func(c smtptest.Command) *smtptest.Reply {
				if c.Stage == smtpx.RCPT {
					return &smtptest.Reply{Code: 550, Enhanced: "5.7.1", Lines: []string{"refused by policy"}}
				}
				return nil
			})
			return sendArgs(good, srv.Addr(), ca, "--yes", "--format", "json", "--auth-password-file", passwordFile(t))
		}},
		{"keygen", "keygen", func(t *testing.T) []string {
			return []string{"keygen", "--domain", "example.com", "--selector", "s9", "--type", "ed25519",
				"--out", filepath.Join(t.TempDir(), "k.pem"), "--format", "json"}
		}},
		{"version", "version", func(*testing.T) []string { return []string{"version", "--format", "json"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := run(t, nil, tc.args(t)...)
			if code == ExitError {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if !strings.HasPrefix(out, "{\n  \"schema_version\": 1,") {
				t.Errorf("schema_version is not the first field:\n%.80s", out)
			}
			if err := matchSchema(schemas[tc.schema], out); err != nil {
				t.Errorf("%s output does not match schemas/%s.json: %v\n%.400s", tc.name, tc.schema, err, out)
			}
		})
	}
}

func TestReceiveJSONLinesMatchTheSchema(t *testing.T) {
	schemas := compileSchemas(t)
	dns := loopbackWorld(t)
	r := startReceive(t, nil, "receive", "--listen", "127.0.0.1:0", "--resolver", dns, "--format", "json", "--domain", "example.org")
	for _, msg := range [][]byte{goodMessage(t), storyMessage()} {
		if _, err := sendTo(t, r.addr, "bob@example.org", msg); err != nil {
			t.Fatal(err)
		}
	}
	r.stop(t)
	lines := strings.Split(strings.TrimSpace(r.out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2:\n%s", len(lines), r.out.String())
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, `{"schema_version":1,`) {
			t.Errorf("line does not start with schema_version: %.60s", l)
		}
		if err := matchSchema(schemas["receive"], l); err != nil {
			t.Errorf("receive line does not match schemas/receive.json: %v\n%.300s", err, l)
		}
	}
}

// The schemas reject what they must: a document without schema_version, a
// status outside the vocabulary, a keygen document carrying a key.
func TestSchemasRejectWrongDocuments(t *testing.T) {
	schemas := compileSchemas(t)
	for _, tc := range []struct{ schema, doc string }{
		{"check", `{"domain":"example.com","score":10,"max":10,"checks":[],"queries":[]}`},
		{"check", `{"schema_version":2,"domain":"example.com","score":10,"max":10,"checks":[],"queries":[]}`},
		{"check", `{"schema_version":1,"domain":"example.com","score":10,"max":10,"queries":[],
			"checks":[{"id":"spf.record","status":"ok","title":"x","elapsed_ns":1}]}`},
		{"spf", `{"schema_version":1,"result":"maybe","lookups":0,"void_lookups":0}`},
		{"keygen", `{"schema_version":1,"domain":"d","selector":"s","key_file":"f","created":true,"key":"k",
			"record":{"name":"n","type":"TXT","value":"v"},"zone":"z","private_key":"-----BEGIN"}`},
		{"send", `{"schema_version":1,"checks":[],"score":0,"max":10,"transcript":[],
			"outcome":{"verdict":"delivered","route":"mx","stage":"data","reply":[],"attempts":[]}}`},
	} {
		if matchSchema(schemas[tc.schema], tc.doc) == nil {
			t.Errorf("schemas/%s.json accepts %s", tc.schema, tc.doc)
		}
	}
}

func TestSchemaCommand(t *testing.T) {
	code, out, _ := run(t, nil, "schema")
	if code != ExitOK || strings.Fields(out)[0] != "check" || !strings.Contains(out, "send") {
		t.Errorf("schema list: %d %q", code, out)
	}
	code, out, _ = run(t, nil, "schema", "check")
	var doc map[string]any
	if code != ExitOK || json.Unmarshal([]byte(out), &doc) != nil || doc["$id"] != schemaBase+"check.json" {
		t.Errorf("schema check: %d %.100s", code, out)
	}
	if code, _, stderr := run(t, nil, "schema", "../cli"); code != ExitError || !strings.Contains(stderr, "no schema") {
		t.Errorf("schema ../cli: %d %q", code, stderr)
	}
}
