package notify

import (
	"strings"
	"testing"
)

func TestComposeReviewReceivedQuotesTheReview(t *testing.T) {
	subject, text := ComposeReviewReceived([]byte(`{"review_id":7,"product_id":42,"name":"Desk Lamp","rating":4,"title":"Bright\n<b>!</b>"}`))
	if subject != "New 4-star review of Desk Lamp" {
		t.Errorf("subject %q", subject)
	}
	for _, want := range []string{"Desk Lamp (product 42)", "★★★★☆", `"Bright\n<b>!</b>"`} {
		if !strings.Contains(text, want) {
			t.Errorf("text %q lacks %q", text, want)
		}
	}
}
