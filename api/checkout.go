package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"shopflow/errs"
	"shopflow/store"
)

// checkoutRequest is the body of POST /checkout. Prices are not part of it: they come from the
// database, so a client field such as unit_price_cents is an unknown field (400).
type checkoutRequest struct {
	// Items, when sent, are what to buy; absent (or null), the caller's cart is checked out.
	Items           []checkoutItem           `json:"items" binding:"omitnil,min=1,max=100,dive"`
	PaymentMethod   string                   `json:"payment_method" binding:"required,max=255"`
	ShippingAddress *checkoutShippingAddress `json:"shipping_address" binding:"required"`
	// ShippingMethod is a method code the destination offers; absent takes the cheapest.
	ShippingMethod string `json:"shipping_method" binding:"max=60"`
	// Coupon is a promotion code; absent lets the best automatic promotion apply.
	Coupon string `json:"coupon" binding:"max=40"`
	// ExpectedTotalCents is the quoted total the shopper agreed to: a checkout that would now
	// cost something else is refused (409) instead of charged.
	ExpectedTotalCents *int64 `json:"expected_total_cents" binding:"omitnil,min=0"`
}

// checkoutItem is one requested line. The quantity bound repeats store.MaxLineQuantity.
type checkoutItem struct {
	ProductID int64 `json:"product_id" binding:"required,gt=0"`
	Quantity  *int  `json:"quantity" binding:"required,min=1,max=1000"`
}

type checkoutShippingAddress struct {
	Name       string `json:"name" binding:"required,max=200"`
	Line1      string `json:"line1" binding:"required,max=200"`
	Line2      string `json:"line2" binding:"max=200"`
	City       string `json:"city" binding:"required,max=100"`
	Region     string `json:"region" binding:"max=100"`
	PostalCode string `json:"postal_code" binding:"required,max=20"`
	Country    string `json:"country" binding:"required,iso3166_1_alpha2"`
}

// checkoutResponse is the answer to a checkout: the pending order and where to follow it.
type checkoutResponse struct {
	Order     store.Order `json:"order"`
	StatusURL string      `json:"status_url"`
}

// checkout turns the caller's items (or cart) into a pending order and starts its saga. The
// Idempotency-Key header is required: the order row itself remembers it, so a retried request
// answers with the order it created, and a key reused with another body is a 409. Stock is not
// checked here; the saga holds it, or cancels the order as out_of_stock.
func (s *Server) checkout(c *gin.Context) {
	key := c.GetHeader(idempotencyHeader)
	if key == "" {
		s.fail(c, errs.E(errs.Invalid, "the Idempotency-Key header is required: a checkout must be safe to retry").
			WithDetails("parameter", idempotencyHeader))
		return
	}
	if !validIdempotencyKey.MatchString(key) {
		s.fail(c, badParam(idempotencyHeader, "must be 1 to 255 visible ASCII characters"))
		return
	}
	req, ok := s.bindCheckout(c)
	if !ok {
		return
	}

	customerID := mustClaims(c).UserID()
	no := req.newOrder(customerID, key)
	no.ClientIP = c.ClientIP()
	order, replayed, err := s.Store.CreateOrder(c, no)
	if err != nil {
		s.fail(c, err)
		return
	}
	// Starting an existing saga is a no-op, so a retry starts it too. If Temporal is down the
	// order is still durable and pending; the sweep starts sagas for stale pending orders.
	if err := s.Checkouts.Start(c, order.ID, customerID); err != nil {
		s.log(c).ErrorContext(c.Request.Context(), "start checkout saga; the pending-order sweep will retry",
			"order_id", order.ID, "err", err)
	}
	statusURL := orderURL(order.ID)
	if replayed {
		c.Header("Idempotent-Replayed", "true")
	}
	c.Header("Location", statusURL)
	c.JSON(http.StatusAccepted, checkoutResponse{Order: order, StatusURL: statusURL})
}

// bindCheckout reads and validates a checkout or quote body, answering the error itself.
func (s *Server) bindCheckout(c *gin.Context) (checkoutRequest, bool) {
	var req checkoutRequest
	if err := bindJSON(c, &req); err != nil {
		s.fail(c, clarifyCheckoutError(err))
		return req, false
	}
	req.trim()
	// Again after trimming, so a name of only spaces is as missing as an absent one.
	if err := validate(req); err != nil {
		s.fail(c, clarifyCheckoutError(err))
		return req, false
	}
	if err := req.checkDuplicates(); err != nil {
		s.fail(c, err)
		return req, false
	}
	return req, true
}

// quote prices what POST /checkout with the same body would charge now, without reserving
// or writing anything: lines with their discounts and taxes, the shipping options, the
// promotion applied and the total.
func (s *Server) quote(c *gin.Context) {
	req, ok := s.bindCheckout(c)
	if !ok {
		return
	}
	no := req.newOrder(mustClaims(c).UserID(), "")
	no.ExpectedTotalCents = nil // a quote is how a shopper learns the total
	q, err := s.Store.QuoteOrder(c, no)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, q)
}

// trim removes surrounding spaces from the free-text fields.
func (r *checkoutRequest) trim() {
	r.PaymentMethod = strings.TrimSpace(r.PaymentMethod)
	r.ShippingMethod = strings.TrimSpace(r.ShippingMethod)
	r.Coupon = strings.TrimSpace(r.Coupon)
	a := r.ShippingAddress
	for _, f := range []*string{&a.Name, &a.Line1, &a.Line2, &a.City, &a.Region, &a.PostalCode, &a.Country} {
		*f = strings.TrimSpace(*f)
	}
}

// checkDuplicates refuses a product on two lines: one line per product, with the total quantity.
func (r *checkoutRequest) checkDuplicates() error {
	first := map[int64]int{}
	for i, it := range r.Items {
		if j, dup := first[it.ProductID]; dup {
			field := fmt.Sprintf("items[%d].product_id", i)
			problem := fmt.Sprintf("repeats items[%d]; send one line per product with the total quantity", j)
			return (&errs.Error{Code: errs.Unprocessable, Message: field + " " + problem}).
				WithDetails("fields", map[string]string{field: problem}).WithDetails("product_id", it.ProductID)
		}
		first[it.ProductID] = i
	}
	return nil
}

func (r *checkoutRequest) newOrder(customerID, key string) store.NewOrder {
	no := store.NewOrder{
		CustomerID: customerID, IdempotencyKey: key, PaymentMethod: r.PaymentMethod,
		ShippingAddress: store.ShippingAddress(*r.ShippingAddress),
		ShippingMethod:  r.ShippingMethod, Coupon: r.Coupon, ExpectedTotalCents: r.ExpectedTotalCents,
	}
	if r.Items != nil {
		no.Items = make([]store.OrderItem, len(r.Items))
		for i, it := range r.Items {
			no.Items[i] = store.OrderItem{ProductID: it.ProductID, Quantity: *it.Quantity}
		}
	}
	return no
}

// clarifyCheckoutError words the validation failures whose generic text would not help.
func clarifyCheckoutError(err error) error {
	var e *errs.Error
	if !errors.As(err, &e) {
		return err
	}
	fields, _ := e.Details["fields"].(map[string]string)
	better := map[string]string{
		"items":                    "must hold 1 to 100 lines; leave it out to check out the cart",
		"shipping_address.country": "must be an ISO 3166-1 alpha-2 country code in upper case, like DE",
	}
	for field, problem := range better {
		if _, bad := fields[field]; !bad {
			continue
		}
		fields[field] = problem
		if strings.HasPrefix(e.Message, field+" ") {
			e.Message = field + " " + problem
		}
	}
	return e
}

// orderURL is where an order can be read.
func orderURL(id string) string { return "/api/v1/orders/" + id }
