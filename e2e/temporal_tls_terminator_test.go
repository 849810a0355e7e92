package e2e

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// tlsTerminator is a TLS front for a plaintext (h2c) Temporal frontend, as a secured cluster's
// ingress is: it completes the handshake, refusing clients whose certificate it does not
// trust, then relays the decrypted gRPC bytes to the backend.
type tlsTerminator struct {
	addr    string
	backend string
	ln      net.Listener
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   map[net.Conn]struct{}
}

func startTLSTerminator(t *testing.T, conf *tls.Config, backend string) *tlsTerminator {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", conf)
	if err != nil {
		t.Fatal(err)
	}
	tt := &tlsTerminator{addr: ln.Addr().String(), backend: backend, ln: ln, conns: map[net.Conn]struct{}{}}
	tt.wg.Add(1)
	go tt.accept()
	t.Cleanup(tt.close)
	return tt
}

func (tt *tlsTerminator) accept() {
	defer tt.wg.Done()
	for {
		c, err := tt.ln.Accept()
		if err != nil {
			return // closed
		}
		if !tt.track(c) {
			return
		}
		tt.wg.Add(1)
		go tt.relay(c.(*tls.Conn))
	}
}

// relay handshakes with the client first, so a refused certificate never reaches the server.
func (tt *tlsTerminator) relay(front *tls.Conn) {
	defer tt.wg.Done()
	defer tt.untrack(front)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := front.HandshakeContext(ctx); err != nil {
		return
	}
	back, err := net.Dial("tcp", tt.backend)
	if err != nil {
		return
	}
	if !tt.track(back) {
		return
	}
	defer tt.untrack(back)
	done := make(chan struct{})
	go func() { _, _ = io.Copy(back, front); back.Close(); close(done) }()
	_, _ = io.Copy(front, back)
	front.Close()
	<-done
}

// track records an open connection so close can cut it; false (and c closed) once closing.
func (tt *tlsTerminator) track(c net.Conn) bool {
	tt.mu.Lock()
	defer tt.mu.Unlock()
	if tt.conns == nil {
		c.Close()
		return false
	}
	tt.conns[c] = struct{}{}
	return true
}

func (tt *tlsTerminator) untrack(c net.Conn) {
	c.Close()
	tt.mu.Lock()
	defer tt.mu.Unlock()
	delete(tt.conns, c)
}

// close stops accepting, cuts every relayed connection and waits for the relays to end.
func (tt *tlsTerminator) close() {
	tt.ln.Close()
	tt.mu.Lock()
	for c := range tt.conns {
		c.Close()
	}
	tt.conns = nil
	tt.mu.Unlock()
	tt.wg.Wait()
}
