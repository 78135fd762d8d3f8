package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/mailcred/mailcred/scoring/safetext"
)

// SchemaVersion is the version of every JSON document mailcred prints
// (field "schema_version", first in each object). It changes only when a
// field is removed or changes meaning; adding a field keeps it. The JSON
// Schemas under schemas/ describe each command's document.
const SchemaVersion = 1

// versioned returns v's JSON object with schema_version as its first field.
func versioned(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if len(b) < 2 || b[0] != '{' {
		return nil, fmt.Errorf("JSON output is not an object: %.20s", b)
	}
	// Untrusted text keeps its characters but not their effect: C1,
	// bidi, zero-width and tag characters become \u escapes.
	b = safetext.JSON(b)
	head := fmt.Sprintf(`{"schema_version":%d`, SchemaVersion)
	if string(b) == "{}" {
		return []byte(head + "}"), nil
	}
	return append([]byte(head+","), b[1:]...), nil
}

// writeJSON prints one indented JSON document with schema_version.
func writeJSON(w io.Writer, v any) error {
	b, err := versioned(v)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err = w.Write(out.Bytes())
	return err
}

// writeJSONLine prints one JSON document on one line (JSON Lines), with
// schema_version.
func writeJSONLine(w io.Writer, v any) error {
	b, err := versioned(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
