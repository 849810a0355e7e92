package notify

import (
	"encoding/json"
	"fmt"
	"strings"
)

// ReviewReceived is what a seller is told of a new review of one of its products: the outbox
// payload store.CreateReview queues under kind store.ReviewReceivedKind.
type ReviewReceived struct {
	ReviewID  int64  `json:"review_id"`
	ProductID int64  `json:"product_id"`
	Name      string `json:"name"`
	Rating    int    `json:"rating"`
	Title     string `json:"title"`
}

// ComposeReviewReceived writes the seller's message from the outbox payload. It is plain text
// (in-app, email text part, SMS): the title is the reviewer's own text and is quoted, never
// put into HTML.
func ComposeReviewReceived(payload json.RawMessage) (subject, text string) {
	var r ReviewReceived
	_ = json.Unmarshal(payload, &r) // a payload we queued ourselves; zero values still read
	n := max(0, min(r.Rating, 5))
	stars := strings.Repeat("★", n) + strings.Repeat("☆", 5-n)
	subject = fmt.Sprintf("New %d-star review of %s", r.Rating, r.Name)
	text = fmt.Sprintf("%s (product %d) has a new review, %s: %q.\nIt appears on the product once it is published.",
		r.Name, r.ProductID, stars, r.Title)
	return subject, text
}
