package abci

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
)

// AppHash computes a block's app hash: SHA-256 over a tag, the previous
// app hash, the height and the block's write set in key order (see
// EncodeWrites). Every state write is covered, so two nodes that apply a
// block differently disagree on the hash and CometBFT halts instead of
// letting them drift apart.
//
// A block that writes nothing keeps the previous app hash. CometBFT makes
// an extra block to sign every new app hash (consensus needProofBlock), so
// if each empty block changed the hash, the chain could never go idle.
//
// The encoding is length-prefixed throughout, so one hash has one
// preimage that anyone can find: verify recomputes a block's hash from the
// header before it (prev) and the write set a node serves
// (blocks/H/writes), and a write set that hashes to the signed app hash is
// the block's real one unless SHA-256 has a second preimage.
func AppHash(prev []byte, height int64, writes []Write) []byte {
	if len(writes) == 0 && prev != nil {
		return prev
	}
	h := sha256.New()
	var n [8]byte
	h.Write([]byte("linli/apphash/v1"))
	binary.BigEndian.PutUint64(n[:], uint64(len(prev)))
	h.Write(n[:])
	h.Write(prev)
	binary.BigEndian.PutUint64(n[:], uint64(height))
	h.Write(n[:])
	writeWrites(h, writes)
	return h.Sum(nil)
}

// EncodeWrites is the binary form of a write set that the app hash, a tx's
// result Data and the store's record of a block's writes use: for each
// write its key's length (8 bytes, big-endian) and key, then 0 for a
// deletion or 1, the value's length and the value.
func EncodeWrites(writes []Write) []byte {
	size := 0
	for _, w := range writes {
		size += 17 + len(w.Key) + len(w.Value)
	}
	b := bytes.NewBuffer(make([]byte, 0, size))
	writeWrites(b, writes)
	return b.Bytes()
}

// writeWrites streams EncodeWrites' form into w, so hashing needs no copy
// of a block's writes.
func writeWrites(w io.Writer, writes []Write) {
	var n [8]byte
	for _, x := range writes {
		binary.BigEndian.PutUint64(n[:], uint64(len(x.Key)))
		w.Write(n[:])
		io.WriteString(w, x.Key)
		if x.Value == nil {
			w.Write([]byte{0})
			continue
		}
		w.Write([]byte{1})
		binary.BigEndian.PutUint64(n[:], uint64(len(x.Value)))
		w.Write(n[:])
		w.Write(x.Value)
	}
}

// errWrites is DecodeWrites' answer to bytes EncodeWrites did not make.
var errWrites = errors.New("abci: malformed write set")

// DecodeWrites reverses EncodeWrites.
func DecodeWrites(b []byte) ([]Write, error) {
	var ws []Write
	next := func() ([]byte, bool) {
		if len(b) < 8 {
			return nil, false
		}
		n := binary.BigEndian.Uint64(b)
		if n > uint64(len(b)-8) {
			return nil, false
		}
		v := b[8 : 8+n : 8+n]
		b = b[8+n:]
		return v, true
	}
	for len(b) > 0 {
		k, ok := next()
		if !ok || len(b) == 0 {
			return nil, errWrites
		}
		flag := b[0]
		b = b[1:]
		w := Write{Key: string(k)}
		switch flag {
		case 0:
		case 1:
			v, ok := next()
			if !ok {
				return nil, errWrites
			}
			w.Value = append([]byte{}, v...)
		default:
			return nil, errWrites
		}
		ws = append(ws, w)
	}
	return ws, nil
}

// TxData is the Data of a committed tx's result: SHA-256 over a tag and
// the tx's own write set (EncodeWrites), the records it wrote as they now
// stand in state, its signer's nonce included. The result's Info carries
// the same writes as JSON ([]Write), so anyone holding a result can
// recompute Data from what Info states, and Data is covered by the next
// header's LastResultsHash while Info is not. A rejected tx has empty
// Data: it wrote no record (its used-up nonce is not one).
func TxData(writes []Write) []byte {
	h := sha256.New()
	h.Write([]byte("linli/txdata/v1"))
	writeWrites(h, writes)
	return h.Sum(nil)
}

// WritesJSON is the JSON of writes as a tx result's Info states them, the
// form json.Marshal gives []Write, written directly: Info is built for
// every tx of every block, and reflection would cost more than the rest
// of the receipt. A value that is not UTF-8 (state holds JSON text, so
// none) would not survive the trip; verify then finds that Data does not
// match and fails, it cannot pass.
func WritesJSON(writes []Write) []byte {
	size := 2
	for _, w := range writes {
		size += 24 + len(w.Key) + len(w.Value)*5/4
	}
	b := make([]byte, 0, size)
	b = append(b, '[')
	for i, w := range writes {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"key":`...)
		b = appendJSONString(b, w.Key)
		b = append(b, `,"value":`...)
		if w.Value == nil {
			b = append(b, "null"...)
		} else {
			b = appendJSONString(b, string(w.Value))
		}
		b = append(b, '}')
	}
	return append(b, ']')
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, everything else as it is.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// writeJSON is how a Write reads in JSON: values are canonical JSON text
// themselves, so they are shown as strings rather than base64, and a
// deletion is null.
type writeJSON struct {
	Key   string  `json:"key"`
	Value *string `json:"value"`
}

// MarshalJSON implements json.Marshaler.
func (w Write) MarshalJSON() ([]byte, error) {
	j := writeJSON{Key: w.Key}
	if w.Value != nil {
		s := string(w.Value)
		j.Value = &s
	}
	return json.Marshal(j)
}

// UnmarshalJSON implements json.Unmarshaler.
func (w *Write) UnmarshalJSON(b []byte) error {
	var j writeJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	w.Key, w.Value = j.Key, nil
	if j.Value != nil {
		w.Value = append([]byte{}, *j.Value...)
	}
	return nil
}
