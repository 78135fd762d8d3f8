package receiver

// ToCRLF turns every LF not preceded by CR into CRLF (RFC 5322 §2.1 line
// endings, RFC 5321 §2.3.8) and counts them; the input is returned as is
// when there are none.
func ToCRLF(raw []byte) ([]byte, int) {
	n := 0
	for i, c := range raw {
		if c == '\n' && (i == 0 || raw[i-1] != '\r') {
			n++
		}
	}
	if n == 0 {
		return raw, 0
	}
	out := make([]byte, 0, len(raw)+n)
	for i, c := range raw {
		if c == '\n' && (i == 0 || raw[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out, n
}
