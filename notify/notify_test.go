package notify_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"shopflow/notify"
	"shopflow/store"
	"shopflow/store/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	storetest.DropTemplate()
	os.Exit(code)
}

// smtpFake is a real SMTP server (go-smtp) requiring AUTH PLAIN, recording what it accepts.
type smtpFake struct {
	mu       sync.Mutex
	messages [][]byte
	rcpts    []string
	// reject, when a recipient contains it, makes RCPT answer 554.
	reject string
	addr   string
}

func newSMTPFake(t *testing.T) *smtpFake {
	t.Helper()
	f := &smtpFake{reject: "rejected"}
	s := smtp.NewServer(f)
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	s.ReadTimeout, s.WriteTimeout = 5*time.Second, 5*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = ln.Addr().String()
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close() })
	return f
}

func (f *smtpFake) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{f: f}, nil }

func (f *smtpFake) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.messages)
}

type smtpSession struct {
	f      *smtpFake
	authed bool
	rcpts  []string
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "ses-user" || pass != "ses-pass" {
			return errors.New("bad credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *smtpSession) Mail(string, *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.Contains(to, s.f.reject) {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "recipient rejected"}
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.f.messages = append(s.f.messages, b)
	s.f.rcpts = append(s.f.rcpts, s.rcpts...)
	return nil
}

func (s *smtpSession) Reset()        { s.rcpts = nil }
func (s *smtpSession) Logout() error { return nil }

func emailChannel(t *testing.T, addr string) *notify.Email {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	var p int
	fmt.Sscan(port, &p)
	ch, err := notify.NewEmail(notify.EmailConfig{Host: host, Port: p, Username: "ses-user", Password: "ses-pass",
		From: "Shopflow <no-reply@shopflow.test>", TLSMode: notify.TLSNone, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func newService(t *testing.T, channels ...notify.Channel) (*notify.Service, *store.Store) {
	t.Helper()
	st := store.New(storetest.NewPool(t))
	svc := notify.NewService(st, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), channels...)
	svc.Retry = notify.RetryPolicy{Attempts: 3, Initial: time.Millisecond}
	return svc, st
}

func TestEmailDeliversTextAndHTMLOnce(t *testing.T) {
	t.Parallel()
	fake := newSMTPFake(t)
	svc, _ := newService(t, emailChannel(t, fake.addr))
	ctx := context.Background()
	req := notify.Request{Key: notify.Key("u1", "order_placed", "o1", "email"), To: "buyer@example.com", Channel: "email",
		Kind: "order_placed", Subject: "Your order", Text: "Thanks for your order.", HTML: "<p>Thanks for your <b>order</b>.</p>"}
	out, err := svc.Send(ctx, req)
	if err != nil || out.Status != store.NotificationSent || out.Duplicate {
		t.Fatalf("first send: %+v, %v", out, err)
	}
	if fake.count() != 1 {
		t.Fatalf("server got %d messages, want 1", fake.count())
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(fake.messages[0])))
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get("Subject"); got != "Your order" {
		t.Errorf("subject %q", got)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q (%v), want multipart/alternative", mt, err)
	}
	parts := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts[pt] = string(b)
	}
	if !strings.Contains(parts["text/plain"], "Thanks for your order.") || !strings.Contains(parts["text/html"], "<b>order</b>") {
		t.Errorf("parts: %q", parts)
	}

	// A rerun with the same key, and a burst of concurrent ones, send nothing more.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			out, err := svc.Send(ctx, req)
			if err != nil || !out.Duplicate {
				t.Errorf("rerun: %+v, %v", out, err)
			}
		})
	}
	wg.Wait()
	if fake.count() != 1 {
		t.Fatalf("server got %d messages after reruns, want 1", fake.count())
	}
}

func TestConcurrentFirstSendsDeliverOnce(t *testing.T) {
	t.Parallel()
	fake := newSMTPFake(t)
	svc, _ := newService(t, emailChannel(t, fake.addr))
	var wg sync.WaitGroup
	var sent atomic.Int32
	for range 10 {
		wg.Go(func() {
			out, err := svc.Send(context.Background(), notify.Request{Key: "u2:promo:2026-11-21:email", To: "x@example.com",
				Channel: "email", Kind: "promo", Subject: "Hi", Text: "hello"})
			if err != nil {
				t.Errorf("send: %v", err)
			}
			if !out.Duplicate && out.Status == store.NotificationSent {
				sent.Add(1)
			}
		})
	}
	wg.Wait()
	if fake.count() != 1 || sent.Load() != 1 {
		t.Fatalf("server got %d messages, %d callers sent; want 1 and 1", fake.count(), sent.Load())
	}
}

func TestEmailFailures(t *testing.T) {
	t.Parallel()
	fake := newSMTPFake(t)

	t.Run("554 is permanent, tried once", func(t *testing.T) {
		svc, _ := newService(t, emailChannel(t, fake.addr))
		out, err := svc.Send(context.Background(), notify.Request{Key: "u3:k:p:email", To: "rejected@example.com",
			Channel: "email", Kind: "k", Subject: "s", Text: "t"})
		if err != nil || out.Status != store.NotificationFailed || out.Attempts != 1 || !strings.Contains(out.Error, "554") {
			t.Fatalf("got %+v, %v; want failed after 1 attempt with 554", out, err)
		}
		again, err := svc.Send(context.Background(), notify.Request{Key: "u3:k:p:email", To: "rejected@example.com",
			Channel: "email", Kind: "k", Subject: "s", Text: "t"})
		if err != nil || !again.Duplicate || again.Status != store.NotificationFailed {
			t.Fatalf("rerun of a failed send: %+v, %v", again, err)
		}
	})

	t.Run("connection refused is transient, retried, then resumable", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		dead := ln.Addr().String()
		ln.Close()
		svc, st := newService(t, emailChannel(t, dead))
		req := notify.Request{Key: "u4:k:p:email", To: "ok@example.com", Channel: "email", Kind: "k", Subject: "s", Text: "t"}
		out, err := svc.Send(context.Background(), req)
		if !errors.Is(err, notify.ErrRetryLater) || out.Status != store.NotificationQueued || out.Attempts != 3 {
			t.Fatalf("got %+v, %v; want queued after 3 attempts and ErrRetryLater", out, err)
		}
		// The provider comes back: a rerun resumes the queued send and delivers it once.
		svc2 := notify.NewService(st, nil, nil, emailChannel(t, fake.addr))
		before := fake.count()
		out, err = svc2.Send(context.Background(), req)
		if err != nil || out.Status != store.NotificationSent || fake.count() != before+1 {
			t.Fatalf("resume: %+v, %v (messages %d -> %d)", out, err, before, fake.count())
		}
	})

	t.Run("a server that never answers times out, transient", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close() // accept, then say nothing
			}
		}()
		host, port, _ := net.SplitHostPort(ln.Addr().String())
		var p int
		fmt.Sscan(port, &p)
		ch, _ := notify.NewEmail(notify.EmailConfig{Host: host, Port: p, From: "a@shopflow.test", TLSMode: notify.TLSNone, Timeout: 200 * time.Millisecond})
		svc, _ := newService(t, ch)
		svc.Retry.Attempts = 2
		out, err := svc.Send(context.Background(), notify.Request{Key: "u5:k:p:email", To: "ok@example.com", Channel: "email", Kind: "k", Text: "t"})
		if !errors.Is(err, notify.ErrRetryLater) || out.Attempts != 2 {
			t.Fatalf("got %+v, %v; want 2 attempts and ErrRetryLater", out, err)
		}
	})
}

// twilioFake mimics POST /2010-04-01/Accounts/{sid}/Messages.json.
type twilioFake struct {
	mu       sync.Mutex
	accepted []string // To numbers
	// failFirst makes the first n requests for a number answer 500.
	failFirst map[string]int
	calls     map[string]int
}

func (f *twilioFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/AC123/Messages.json" {
		http.Error(w, "no such route "+r.URL.Path, http.StatusNotFound)
		return
	}
	if u, p, _ := r.BasicAuth(); u != "AC123" || p != "token" {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"code":20003,"message":"Authenticate","status":401}`)
		return
	}
	_ = r.ParseForm()
	to := r.PostForm.Get("To")
	f.mu.Lock()
	f.calls[to]++
	n := f.calls[to]
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case to == "+15005550001":
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"code":21211,"message":"The 'To' number +15005550001 is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}`)
		return
	case to == "+15005550404":
		time.Sleep(300 * time.Millisecond) // past the client's timeout, which has given up
		w.WriteHeader(http.StatusGatewayTimeout)
		return
	case n <= f.failFirst[to]:
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"code":20500,"message":"Internal Server Error","status":500}`)
		return
	}
	f.mu.Lock()
	f.accepted = append(f.accepted, to)
	f.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"sid":"SM%d","to":%q,"from":%q,"body":%q,"status":"queued"}`, n, to, r.PostForm.Get("From"), r.PostForm.Get("Body"))
}

func (f *twilioFake) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.accepted)
}

func (f *twilioFake) sent(to string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, a := range f.accepted {
		if a == to {
			n++
		}
	}
	return n
}

func TestSMSThroughTwilioClient(t *testing.T) {
	t.Parallel()
	fake := &twilioFake{failFirst: map[string]int{"+14155550002": 2}, calls: map[string]int{}}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	sms, err := notify.NewSMS(notify.SMSConfig{AccountSID: "AC123", AuthToken: "token", From: "+14155550100",
		BaseURL: srv.URL, Timeout: 150 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	svc, _ := newService(t, sms)
	ctx := context.Background()
	send := func(key, to string) (notify.Outcome, error) {
		return svc.Send(ctx, notify.Request{Key: key, To: to, Channel: "sms", Kind: "low_stock", Text: "Stock is low"})
	}

	tests := []struct {
		name, key, to string
		wantStatus    string
		wantAttempts  int
		wantRetry     bool
		wantSent      int
	}{
		{"201 is sent", "s1:low_stock:1:sms", "+14155550001", store.NotificationSent, 1, false, 1},
		{"400 code 21211 is permanent, not retried", "s2:low_stock:1:sms", "+15005550001", store.NotificationFailed, 1, false, 0},
		{"500 twice is retried until it succeeds", "s3:low_stock:1:sms", "+14155550002", store.NotificationSent, 3, false, 1},
		{"timeouts are retried, then left queued", "s4:low_stock:1:sms", "+15005550404", store.NotificationQueued, 3, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := send(tc.key, tc.to)
			if tc.wantRetry != errors.Is(err, notify.ErrRetryLater) || (!tc.wantRetry && err != nil) {
				t.Fatalf("err %v, want retry later %v", err, tc.wantRetry)
			}
			if out.Status != tc.wantStatus || out.Attempts != tc.wantAttempts {
				t.Fatalf("got %+v, want status %s after %d attempts", out, tc.wantStatus, tc.wantAttempts)
			}
			if tc.wantStatus == store.NotificationFailed && !strings.Contains(out.Error, "21211") {
				t.Errorf("error %q does not name code 21211", out.Error)
			}
			if tc.wantSent != fake.sent(tc.to) && tc.to != "+15005550404" {
				t.Errorf("fake accepted %d messages to %s, want %d", fake.sent(tc.to), tc.to, tc.wantSent)
			}
		})
	}
	// A rerun of every key sends nothing more.
	before := fake.total()
	for _, tc := range tests[:3] {
		out, err := send(tc.key, tc.to)
		if err != nil || !out.Duplicate {
			t.Errorf("rerun %s: %+v, %v", tc.key, out, err)
		}
	}
	if fake.total() != before {
		t.Fatalf("rerun sent %d more messages", fake.total()-before)
	}
}

func TestInAppIsTheInbox(t *testing.T) {
	t.Parallel()
	svc, st := newService(t, notify.InApp{})
	ctx := context.Background()
	var uid string
	if err := st.Pool.QueryRow(ctx, `INSERT INTO users (email, password_hash, role) VALUES ('in@example.com', 'x', 'customer') RETURNING id::text`).Scan(&uid); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := svc.Send(ctx, notify.Request{Key: notify.Key(uid, "order_placed", fmt.Sprint(i), "inapp"), RecipientID: uid,
			Channel: "inapp", Kind: "order_placed", Subject: fmt.Sprint("order ", i), Text: "placed"}); err != nil {
			t.Fatal(err)
		}
	}
	page, err := st.Inbox(ctx, store.InboxFilter{UserID: uid, Limit: 2})
	if err != nil || len(page.Items) != 2 || page.NextCursor == nil || page.Items[0].Subject != "order 2" {
		t.Fatalf("first page: %+v, %v", page, err)
	}
	rest, err := st.Inbox(ctx, store.InboxFilter{UserID: uid, Limit: 2, Cursor: *page.NextCursor})
	if err != nil || len(rest.Items) != 1 || rest.NextCursor != nil || rest.Items[0].Subject != "order 0" {
		t.Fatalf("second page: %+v, %v", rest, err)
	}
	if _, err := st.MarkNotificationRead(ctx, uid, page.Items[0].ID); err != nil {
		t.Fatal(err)
	}
	unread, _ := st.Inbox(ctx, store.InboxFilter{UserID: uid, UnreadOnly: true, Limit: 10})
	if len(unread.Items) != 2 {
		t.Fatalf("unread: %d, want 2", len(unread.Items))
	}
}
