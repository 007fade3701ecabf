package app

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a certificate and key for 127.0.0.1 and returns their
// files and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "earshot test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// startSIPTLS starts the demo's configuration with SIP over TLS on a
// self-signed certificate; it stops with the test.
func startSIPTLS(t *testing.T) (a *App, certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	certFile, keyFile, pool = selfSigned(t)
	cfg := demoConfig(t, t.TempDir())
	cfg.Listen.SIP = "127.0.0.1:0"
	cfg.Listen.SIPTLS, cfg.Listen.TLSCert, cfg.Listen.TLSKey = "127.0.0.1:0", certFile, keyFile
	var err error
	a, err = Start(context.Background(), Options{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a, certFile, keyFile, pool
}

// TestSIPOverTLS: with listen.sip_tls and a certificate in the
// configuration, earshot answers SIP over TLS.
func TestSIPOverTLS(t *testing.T) {
	a, _, _, pool := startSIPTLS(t)
	conn, err := tls.Dial("tcp", a.SIPAddr("tls").String(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	local := conn.LocalAddr().String()
	req := fmt.Sprintf("OPTIONS sip:earshot@%s SIP/2.0\r\nVia: SIP/2.0/TLS %s;branch=z9hG4bK-tls1\r\nMax-Forwards: 70\r\n"+
		"From: <sip:probe@%s>;tag=1\r\nTo: <sip:earshot@%s>\r\nCall-ID: tls-probe-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
		a.SIPAddr("tls"), local, local, a.SIPAddr("tls"))
	if _, err := conn.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(status, "SIP/2.0 200") {
		t.Fatalf("OPTIONS over TLS answered %q", status)
	}
}

// TestSIPOverTLSReloadsCertificate: a certificate renewed on disk is what
// the next SIP over TLS handshake gets, without a restart.
func TestSIPOverTLSReloadsCertificate(t *testing.T) {
	a, certFile, keyFile, pool := startSIPTLS(t)
	addr := net.TCPAddrFromAddrPort(a.SIPAddr("tls"))
	first := servedCert(t, addr, pool)

	newCert, newKey, newPool := selfSigned(t)
	replaceFile(t, certFile, readFile(t, newCert))
	replaceFile(t, keyFile, readFile(t, newKey))
	if second := servedCert(t, addr, newPool); second.Equal(first) {
		t.Fatal("SIP over TLS still serves the old certificate after the files were replaced")
	}
}
