package mailout_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tramita/tramita/mailout"
)

// testCert returns a server certificate for 127.0.0.1 and a client TLS
// configuration that trusts it.
func testCert(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sink.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}},
		&tls.Config{RootCAs: roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// tlsSink starts a sink that offers STARTTLS, or speaks TLS from the first
// byte when implicit.
func tlsSink(t *testing.T, cfg *tls.Config, implicit bool) *sink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{got: make(chan struct{}, 100)}
	if implicit {
		s.serve(t, tls.NewListener(ln, cfg))
	} else {
		s.StartTLS = cfg
		s.serve(t, ln)
	}
	return s
}

func TestTLSModes(t *testing.T) {
	t.Parallel()
	serverTLS, clientTLS := testCert(t)
	cases := []struct {
		name     string
		mode     mailout.TLSMode
		implicit bool // server speaks TLS at once
		starttls bool // server offers STARTTLS
		ok       bool
	}{
		{"implicit TLS (smtps)", mailout.ImplicitTLS, true, false, true},
		{"STARTTLS required, offered", mailout.StartTLSRequired, false, true, true},
		{"STARTTLS required, not offered", mailout.StartTLSRequired, false, false, false},
		{"STARTTLS opportunistic, offered", mailout.StartTLSOpportunistic, false, true, true},
		{"STARTTLS opportunistic, not offered", mailout.StartTLSOpportunistic, false, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			svc, clk := newService(t), newClock()
			var srv *sink
			if c.implicit || c.starttls {
				srv = tlsSink(t, serverTLS, c.implicit)
			} else {
				srv = newSink(t)
			}
			open(t, svc, 30, joana, "Pedido")
			w := newWorker(t, svc, srv.Port, clk, func(cfg *mailout.Config) {
				cfg.SMTP.TLS, cfg.SMTP.TLSConfig = c.mode, clientTLS
			})
			n, err := w.RunOnce(context.Background())
			if c.ok && (err != nil || n != 2) {
				t.Fatalf("sent %d, %v; want 2", n, err)
			}
			for _, m := range srv.messages() {
				if m.TLS != (c.implicit || c.starttls) {
					t.Errorf("message to %v sent with TLS %v; want %v", m.To, m.TLS, c.implicit || c.starttls)
				}
			}
			if !c.ok && (n != 0 || !errors.Is(err, mailout.ErrSMTPUnavailable) || !strings.Contains(err.Error(), "STARTTLS")) {
				t.Fatalf("sent %d, %v; want nothing and a STARTTLS error", n, err)
			}
		})
	}
}
