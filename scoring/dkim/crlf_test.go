package dkim

import (
	"bytes"
	"io"
	"testing"
)

// toCRLF is the reference: the whole conversion at once.
func toCRLF(b []byte) []byte {
	var out []byte
	for i, c := range b {
		if c == '\n' && (i == 0 || b[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, c)
	}
	return out
}

// readInPieces reads r with reads of the given sizes in turn.
func readInPieces(t testing.TB, r io.Reader, sizes []int) []byte {
	var out []byte
	for i := 0; ; i++ {
		p := make([]byte, sizes[i%len(sizes)])
		n, err := r.Read(p)
		out = append(out, p[:n]...)
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if i > 10*len(out)+100 {
			t.Fatal("no progress")
		}
	}
}

func TestCRLFReader(t *testing.T) {
	cases := []string{
		"", "\n", "\r\n", "\r", "\n\n", "\r\r\n", "a\nb\r\nc\rd\n", "\n\r\n\n",
		"From: a@example.com\nSubject: x\n\nbody line\n\n", "no newline at all",
		"ends in CR\r", "CR then LF across a piece\r\nx",
	}
	for _, c := range cases {
		for _, sizes := range [][]int{{1}, {2}, {3, 1}, {4096}} {
			got := readInPieces(t, newCRLFReader([]byte(c)), sizes)
			if want := toCRLF([]byte(c)); !bytes.Equal(got, want) {
				t.Errorf("%q read in pieces of %v: %q, want %q", c, sizes, got, want)
			}
		}
	}
}

func FuzzCRLFReader(f *testing.F) {
	f.Add([]byte("a\nb\r\nc\rd\n"), uint8(1), uint8(3))
	f.Add([]byte("\r\n\n\r\r\n"), uint8(2), uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, s1, s2 uint8) {
		got := readInPieces(t, newCRLFReader(b), []int{int(s1%16) + 1, int(s2%64) + 1})
		if want := toCRLF(b); !bytes.Equal(got, want) {
			t.Fatalf("%q: %q, want %q", b, got, want)
		}
	})
}
