package store

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// timeCursor is the position after a page's last item in a list newest first by (created_at,
// id) with uuid ids (orders, returns). Keyset pagination stays stable while items are added.
type timeCursor struct {
	// Query fingerprints the filters, so a cursor is refused by a list it did not come from.
	Query     string    `json:"q"`
	CreatedAt time.Time `json:"t"`
	ID        string    `json:"id"`
}

// encode writes the cursor as the opaque string clients send back.
func (c timeCursor) encode() string {
	b, _ := json.Marshal(c) // a string, a time and a string always encode
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeTimeCursor reads a cursor a list with filters query gave out; anything else is a 400.
func decodeTimeCursor(cursor, query string) (timeCursor, error) {
	bad := invalidParam("cursor", "is not a cursor this list gave out")
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return timeCursor{}, bad
	}
	var c timeCursor
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || c.CreatedAt.IsZero() {
		return timeCursor{}, bad
	}
	// A forged id must be a 400 here, not a database error later.
	if _, err := uuid.Parse(c.ID); err != nil {
		return timeCursor{}, bad
	}
	if c.Query != query {
		return timeCursor{}, invalidParam("cursor", "was made for a list with other filters; start again without a cursor")
	}
	return c, nil
}
