package receive

import "encoding/json"

// MarshalJSON writes the report with the completeness fields every other
// mailcred JSON document uses ("complete" and "unchecked"), not the
// embedded Score's "incomplete": one name per concept across check,
// score, send and receive.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report // the fields, without this method
	unchecked := r.Unchecked
	if unchecked == nil {
		unchecked = []string{}
	}
	return json.Marshal(struct {
		plain
		Complete  bool     `json:"complete"`
		Unchecked []string `json:"unchecked"`
		// Shallower than Score's field of the same name, so it wins, and
		// nil, so it is omitted.
		Incomplete *bool `json:"incomplete,omitempty"`
	}{plain: plain(r), Complete: !r.Incomplete, Unchecked: unchecked})
}
