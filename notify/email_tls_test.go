package notify_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"shopflow/notify"
)

// TestEmailOverTLS sends through a server that refuses AUTH in the clear, once with STARTTLS
// (port 587 style, Amazon SES's default) and once with implicit TLS (port 465 style).
func TestEmailOverTLS(t *testing.T) {
	t.Parallel()
	// httptest's certificate is valid for 127.0.0.1; borrow it and trust it.
	certSrv := httptest.NewTLSServer(nil)
	t.Cleanup(certSrv.Close)
	serverTLS := &tls.Config{Certificates: certSrv.TLS.Certificates}
	roots := x509.NewCertPool()
	roots.AddCert(certSrv.Certificate())

	for _, mode := range []string{notify.TLSStartTLS, notify.TLSImplicit} {
		t.Run(mode, func(t *testing.T) {
			fake := &smtpFake{reject: "rejected"}
			s := smtp.NewServer(fake)
			s.Domain = "localhost"
			s.AllowInsecureAuth = false
			s.TLSConfig = serverTLS
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			if mode == notify.TLSImplicit {
				ln = tls.NewListener(ln, serverTLS)
			}
			go func() { _ = s.Serve(ln) }()
			t.Cleanup(func() { _ = s.Close() })
			port, _ := strconv.Atoi(ln.Addr().(*net.TCPAddr).AddrPort().String()[len("127.0.0.1:"):])
			ch, err := notify.NewEmail(notify.EmailConfig{Host: "127.0.0.1", Port: port, Username: "ses-user", Password: "ses-pass",
				From: "no-reply@shopflow.test", TLSMode: mode, TLSConfig: &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"},
				Timeout: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if err := ch.Send(context.Background(), notify.Message{To: "a@example.com", Subject: "s", Text: "t", HTML: "<p>t</p>"}); err != nil {
				t.Fatalf("send: %v", err)
			}
			if fake.count() != 1 {
				t.Fatalf("server got %d messages", fake.count())
			}
		})
	}
}
