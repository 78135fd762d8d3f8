package dkim

// CommonSelector is one entry of the table of selectors probed when none is
// given: its name and who uses it.
type CommonSelector struct {
	Name   string
	Source string
}

// CommonSelectors returns the probe table (a copy), for shell completion of
// --selector and for help texts.
func CommonSelectors() []CommonSelector {
	out := make([]CommonSelector, len(commonSelectors))
	for i, s := range commonSelectors {
		out[i] = CommonSelector(s)
	}
	return out
}
