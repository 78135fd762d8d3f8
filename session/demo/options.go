package demo

import (
	"crypto"
	"fmt"
	"time"

	"github.com/mailcred/mailcred/session/keygen"
)

// Default delays. A presenter wants to see "propagating" for a moment, not
// for the hour a real TTL can take.
const (
	// DefaultPropagation is how long a DNS change takes to become visible.
	DefaultPropagation = 5 * time.Second
	// DefaultRamp is how long Outlook takes to approve a delisting request
	// (weeks for a real new IP; seconds in the demo).
	DefaultRamp = 20 * time.Second
)

// Options choose the world. The zero value is the story with the default
// delays and the real clock.
type Options struct {
	// Scenario names the starting state (see Scenarios); "" is "story".
	Scenario string
	// Propagation delays DNS changes: 0 means DefaultPropagation, a
	// negative value makes them visible at once.
	Propagation time.Duration
	// Ramp delays Outlook's delisting approval: 0 means DefaultRamp, a
	// negative value approves at once.
	Ramp time.Duration
	// Clock tells the world's time; nil means time.Now. Tests pass a
	// clock they advance by hand, so delays cost no real time.
	Clock func() time.Time
	// KeyGen makes the DKIM keys at start (RSA of the given size); nil
	// means keygen.Generate. Tests pass a cache: a 2048-bit key takes a
	// while to make under the race detector.
	KeyGen func(bits int) (crypto.Signer, error)
}

// withDefaults resolves the zero values.
func (o Options) withDefaults() (Options, error) {
	if o.Scenario == "" {
		o.Scenario = ScenarioStory
	}
	if _, ok := findScenario(o.Scenario); !ok {
		return o, fmt.Errorf("demo: %w %q (have %s)", ErrUnknownScenario, o.Scenario, scenarioNames())
	}
	switch {
	case o.Propagation == 0:
		o.Propagation = DefaultPropagation
	case o.Propagation < 0:
		o.Propagation = 0
	}
	switch {
	case o.Ramp == 0:
		o.Ramp = DefaultRamp
	case o.Ramp < 0:
		o.Ramp = 0
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.KeyGen == nil {
		o.KeyGen = func(bits int) (crypto.Signer, error) { return keygen.Generate(keygen.Options{Bits: bits}) }
	}
	return o, nil
}
