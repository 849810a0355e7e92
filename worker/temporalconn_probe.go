package worker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
)

// errServerSpeaksTLS says a plaintext connection failed against a server that answers TLS.
var errServerSpeaksTLS = errors.New("the server answers TLS")

// withTLSVerdict adds to a failed connection what a TLS handshake alone learns from the server.
// With TLS 1.3 a server refuses a client certificate after the client has finished its side of
// the handshake, and gRPC, already writing, often reports only the broken pipe that follows;
// a plaintext client talking to a TLS server sees only EOF.
func withTLSVerdict(ctx context.Context, err error, opts client.Options) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	var verdict error
	if opts.ConnectionOptions.TLS == nil {
		// Verifies nothing and sends nothing: it only asks whether the server answers TLS.
		conn, herr := handshake(ctx, opts.HostPort, &tls.Config{InsecureSkipVerify: true})
		if herr != nil {
			return err
		}
		conn.Close()
		verdict = errServerSpeaksTLS
	} else {
		verdict = serverVerdict(ctx, opts.HostPort, opts.ConnectionOptions.TLS)
	}
	if verdict == nil || strings.Contains(err.Error(), verdict.Error()) {
		return err
	}
	return fmt.Errorf("%w; the TLS handshake alone: %w", err, verdict)
}

// serverVerdict completes a handshake and waits for the server's first bytes: an HTTP/2
// server sends its settings at once, a server refusing the client sends a TLS alert.
func serverVerdict(ctx context.Context, hostPort string, conf *tls.Config) error {
	conn, err := handshake(ctx, hostPort, conf)
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	_ = conn.SetReadDeadline(deadline)
	_, err = conn.Read(make([]byte, 1))
	var ne net.Error
	if err == nil || errors.As(err, &ne) && ne.Timeout() {
		return nil // accepted
	}
	return err
}

func handshake(ctx context.Context, hostPort string, conf *tls.Config) (*tls.Conn, error) {
	conf = conf.Clone()
	if conf.ServerName == "" {
		conf.ServerName, _, _ = net.SplitHostPort(hostPort)
	}
	conf.NextProtos = []string{"h2"}
	d := tls.Dialer{Config: conf}
	conn, err := d.DialContext(ctx, "tcp", hostPort)
	if err != nil {
		return nil, err
	}
	return conn.(*tls.Conn), nil
}
