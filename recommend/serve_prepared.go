package recommend

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync/atomic"

	"shopflow/store"
)

// Reason says why a product is recommended.
type Reason string

// The reasons a product is recommended, in the order the sources are tried.
const (
	// AlsoBoughtReason: customers who bought the product (or, for a customer, the products
	// they bought or wishlisted) also bought this one.
	AlsoBoughtReason Reason = "also_bought"
	// CategoryTopSeller: a top seller of the product's category (or of a category the
	// customer shops in), filling in where the lists are short.
	CategoryTopSeller Reason = "category_top_seller"
	// Popular: among the shop's top sellers overall, the last resort.
	Popular Reason = "popular"
)

// bodyTail closes an answer after its last item.
const bodyTail = "]}"

// Prepared is an answer prepared for serving: its candidates, best first, each encoded once.
// The body for ?limit=L is the first L candidates available now, so filtering out what became
// archived or sold out since costs no Redis or Postgres read, only a re-join of bytes.
type Prepared struct {
	head     []byte // `{"product_id":1,"items":[` or `{"items":[`
	items    []preparedItem
	variants [MaxServed + 1]atomic.Pointer[Variant]
}

type preparedItem struct {
	productID int64
	json      []byte
}

// Variant is the body served for one limit against one availability view, with its ETag and
// length ready to be used as header values (slices, so setting them allocates nothing).
type Variant struct {
	version uint64
	body    []byte
	ETag    []string
	Length  []string
}

// WriteTo writes the variant's body.
func (v *Variant) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(v.body)
	return int64(n), err
}

// Body is the variant's body; callers must not modify it.
func (v *Variant) Body() []byte { return v.body }

// variant returns the body holding the first limit candidates that a is not excluding,
// preparing it when a's version is not the one the last body was made for.
func (p *Prepared) variant(limit int, a *availability) *Variant {
	if v := p.variants[limit].Load(); v != nil && v.version == a.version {
		return v
	}
	var b bytes.Buffer
	b.Write(p.head)
	n := 0
	for _, it := range p.items {
		if n == limit {
			break
		}
		if !a.has(it.productID) {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		b.Write(it.json)
		n++
	}
	b.WriteString(bodyTail)
	sum := sha256.Sum256(b.Bytes())
	v := &Variant{version: a.version, body: b.Bytes(),
		ETag:   []string{`"` + hex.EncodeToString(sum[:16]) + `"`},
		Length: []string{strconv.Itoa(b.Len())}}
	p.variants[limit].Store(v)
	return v
}

// candidate is one product an answer may recommend, and why.
type candidate struct {
	productID int64
	reason    Reason
	score     float64
	support   int64
}

// item is one recommended product as served.
type item struct {
	ProductID  int64    `json:"product_id"`
	Name       string   `json:"name"`
	CategoryID int64    `json:"category_id"`
	SellerID   string   `json:"seller_id"`
	StoreName  string   `json:"store_name"`
	PriceCents int64    `json:"price_cents"`
	Currency   string   `json:"currency"`
	Reason     Reason   `json:"reason"`
	Score      *float64 `json:"score,omitempty"`
	Support    *int64   `json:"support,omitempty"`
}

// prepare encodes the candidates that have an active product's card, in order.
func prepare(head []byte, cands []candidate, cards map[int64]store.ProductCard) (*Prepared, error) {
	p := &Prepared{head: head, items: make([]preparedItem, 0, len(cands))}
	for _, c := range cands {
		card, ok := cards[c.productID]
		if !ok || card.Status != store.ProductActive {
			continue
		}
		it := item{ProductID: card.ID, Name: card.Name, CategoryID: card.CategoryID, SellerID: card.SellerID,
			StoreName: card.StoreName, PriceCents: card.PriceCents, Currency: card.Currency, Reason: c.reason}
		if c.reason == AlsoBoughtReason {
			it.Score, it.Support = &c.score, &c.support
		}
		raw, err := json.Marshal(it)
		if err != nil {
			return nil, fmt.Errorf("encode recommended product %d: %w", c.productID, err)
		}
		p.items = append(p.items, preparedItem{productID: c.productID, json: raw})
	}
	return p, nil
}
