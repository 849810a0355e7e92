// Package tlstest makes certificate authorities and certificates for tests of TLS and mutual
// TLS, written to the test's temporary directory.
package tlstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// CA is a certificate authority made for one test, its files in the test's directory.
type CA struct {
	t       *testing.T
	dir     string
	name    string
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	CertPEM string // file of the CA's certificate
}

func NewCA(t *testing.T, name string) *CA {
	t.Helper()
	ca := &CA{t: t, dir: t.TempDir(), name: name}
	tmpl := certTemplate(name)
	tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	ca.cert, ca.key = ca.sign(tmpl, nil, nil)
	ca.CertPEM = ca.write(name+".pem", "CERTIFICATE", ca.cert.Raw)
	return ca
}

// Issue makes a certificate for names (DNS names or IP addresses) and returns its certificate
// and key files. server says which way it authenticates.
func (ca *CA) Issue(name string, server bool, names ...string) (certFile, keyFile string) {
	ca.t.Helper()
	tmpl := certTemplate(name)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	cert, key := ca.sign(tmpl, ca.cert, ca.key)
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		ca.t.Fatal(err)
	}
	return ca.write(name+".pem", "CERTIFICATE", cert.Raw), ca.write(name+"-key.pem", "EC PRIVATE KEY", der)
}

// ServerTLS is what a server holding certFile/keyFile presents, demanding client certificates
// signed by this CA.
func (ca *CA) ServerTLS(certFile, keyFile string) *tls.Config {
	ca.t.Helper()
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		ca.t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	return &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool,
		ClientAuth: tls.RequireAndVerifyClientCert, NextProtos: []string{"h2"}}
}

// sign makes a certificate from tmpl, signed by parent (self-signed when parent is nil).
func (ca *CA) sign(tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	ca.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		ca.t.Fatal(err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		ca.t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		ca.t.Fatal(err)
	}
	return cert, key
}

func (ca *CA) write(name, blockType string, der []byte) string {
	ca.t.Helper()
	path := filepath.Join(ca.dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), 0o600); err != nil {
		ca.t.Fatal(err)
	}
	return path
}

func certTemplate(name string) *x509.Certificate {
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
}

// IssueExpired writes a client certificate, signed by this CA, that expired an hour ago, and
// returns its file.
func (ca *CA) IssueExpired(name string) string {
	tmpl := certTemplate(name)
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour)
	cert, _ := ca.sign(tmpl, ca.cert, ca.key)
	return ca.write(name+".pem", "CERTIFICATE", cert.Raw)
}
