package scoring

import "encoding/json"

// Secret is a credential a check needs (a Spamhaus DQS key). Printing it
// with any fmt verb, or marshalling it to JSON, shows only "****"; Reveal
// is the one way to the value, for the code that must send it.
type Secret string

// Mask is what a secret reads as wherever it would be shown.
const Mask = "****"

// String masks the secret (empty stays empty, so "no key" is visible).
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return Mask
}

// GoString masks the secret under %#v too.
func (s Secret) GoString() string { return `scoring.Secret("` + s.String() + `")` }

// MarshalJSON masks the secret.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// MarshalText masks the secret (YAML and other text encoders).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the value, for the code that sends it.
func (s Secret) Reveal() string { return string(s) }
