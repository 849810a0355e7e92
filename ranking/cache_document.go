package ranking

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync/atomic"
	"time"
)

// docTail closes a category document after its last product.
const docTail = "]}"

// PreparedCategory is a category document prepared for serving: the full document, and where
// each product ends, so the body for ?limit=L is a prefix of it plus docTail. Serving a limit
// then costs no encoding at all.
type PreparedCategory struct {
	expires  atomic.Int64 // unix nanoseconds
	full     []byte       // {"category_id":..,"window":..,"generated_at":..,"products":[p1,p2,...]}
	headLen  int          // up to and including "products":[
	ends     []int        // ends[i]: offset just past product i
	variants [MaxServedProducts + 1]atomic.Pointer[Variant]
}

// Variant is the document served for one limit, with its ETag and length ready to be used as
// header values (slices, so setting them allocates nothing).
type Variant struct {
	body   []byte // a prefix of the full document; the body is body + docTail
	ETag   []string
	Length []string
}

// WriteTo writes the variant's body.
func (v *Variant) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(v.body)
	if err != nil {
		return int64(n), err
	}
	m, err := io.WriteString(w, docTail)
	return int64(n + m), err
}

// Variant returns the prepared document holding the first limit products (1..
// MaxServedProducts), preparing it the first time.
func (e *PreparedCategory) Variant(limit int) *Variant {
	if v := e.variants[limit].Load(); v != nil {
		return v
	}
	cut := e.headLen
	if n := min(limit, len(e.ends)); n > 0 {
		cut = e.ends[n-1]
	}
	sum := sha256.New()
	sum.Write(e.full[:cut])
	sum.Write([]byte(docTail))
	v := &Variant{body: e.full[:cut:cut],
		ETag:   []string{`"` + hex.EncodeToString(sum.Sum(nil)[:16]) + `"`},
		Length: []string{strconv.Itoa(cut + len(docTail))}}
	e.variants[limit].CompareAndSwap(nil, v)
	return e.variants[limit].Load()
}

// prepareCategory turns a published (or computed) CategoryDocument into a PreparedCategory.
func prepareCategory(raw []byte, expires time.Time) (*PreparedCategory, error) {
	var d struct {
		CategoryID  int64             `json:"category_id"`
		Window      Window            `json:"window"`
		GeneratedAt time.Time         `json:"generated_at"`
		Products    []json.RawMessage `json:"products"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("decode top-sellers document: %w", err)
	}
	head, err := json.Marshal(struct {
		CategoryID  int64     `json:"category_id"`
		Window      Window    `json:"window"`
		GeneratedAt time.Time `json:"generated_at"`
	}{d.CategoryID, d.Window, d.GeneratedAt})
	if err != nil {
		return nil, fmt.Errorf("encode top-sellers document head: %w", err)
	}
	var b bytes.Buffer
	b.Grow(len(raw) + 32)
	b.Write(head[:len(head)-1]) // without its closing brace
	b.WriteString(`,"products":[`)
	e := &PreparedCategory{headLen: b.Len(), ends: make([]int, len(d.Products))}
	for i, p := range d.Products {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := json.Compact(&b, p); err != nil {
			return nil, fmt.Errorf("product %d of the top-sellers document: %w", i, err)
		}
		e.ends[i] = b.Len()
	}
	b.WriteString(docTail)
	e.full = b.Bytes()
	e.expires.Store(expires.UnixNano())
	return e, nil
}
