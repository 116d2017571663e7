package store

import (
	"crypto/sha256"
	"crypto/sha3"
	"encoding/binary"
)

// ltHash is a homomorphic set hash (LtHash with 1024 lanes of 16 bits, the
// construction of Bellare and Micciancio as deployed by Meta for its
// databases): the digest of a set is the lane-wise sum, modulo 2^16, of the
// SHAKE128 expansion of each element, so an element is added or removed in
// constant time without reading the rest of the set. It digests the
// archive of certificate hashes whose log entries retention removed: a
// pruning updates the digest with the rows it changes, and the check
// recomputes it from the whole archive.
type ltHash [1024]uint16

const ltBytes = 2 * len(ltHash{})

func ltElement(x []byte) []byte { return sha3.SumSHAKE128(x, ltBytes) }

func (h *ltHash) add(x []byte) {
	e := ltElement(x)
	for i := range h {
		h[i] += binary.LittleEndian.Uint16(e[2*i:])
	}
}

func (h *ltHash) remove(x []byte) {
	e := ltElement(x)
	for i := range h {
		h[i] -= binary.LittleEndian.Uint16(e[2*i:])
	}
}

func (h *ltHash) bytes() []byte {
	out := make([]byte, ltBytes)
	for i, v := range h {
		binary.LittleEndian.PutUint16(out[2*i:], v)
	}
	return out
}

func ltFromBytes(b []byte) ltHash {
	var h ltHash
	if len(b) == ltBytes {
		for i := range h {
			h[i] = binary.LittleEndian.Uint16(b[2*i:])
		}
	}
	return h
}

// digest is the SHA-256 of the state, the short form logged and compared.
func (h *ltHash) digest() [32]byte { return sha256.Sum256(h.bytes()) }

// archiveElement is an archive row as a set element.
func archiveElement(number string, row []byte) []byte {
	x := make([]byte, 0, 24+14+len(row))
	x = append(x, "certreg seal archive v1\x00"...)
	x = append(x, number...)
	return append(x, row...)
}
