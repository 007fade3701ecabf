package app

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/acme"
)

// acmeCA is a small ACME (RFC 8555) certificate authority on loopback for
// tests: one account, orders for DNS names, one challenge type, and real
// validation against earshot's listeners (an HTTP GET of the token, or a
// TLS-ALPN handshake). It does not check JWS signatures or nonces.
type acmeCA struct {
	t         *testing.T
	srv       *httptest.Server
	challenge string // "http-01" or "tls-alpn-01"
	rootKey   *ecdsa.PrivateKey
	root      *x509.Certificate
	roots     *x509.CertPool

	mu         sync.Mutex // guards the fields below
	httpAddr   string     // where http-01 is validated (earshot's listen.http)
	tlsAddr    string     // where tls-alpn-01 is validated (listen.https)
	thumbprint string     // the account key's JWK thumbprint
	authzs     []*caAuthz
	orders     []*caOrder
	issued     int
}

type caChallenge struct {
	Type   string `json:"type"`
	URL    string `json:"url"`
	Token  string `json:"token"`
	Status string `json:"status"`
}

type caIdentifier struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type caAuthz struct {
	Identifier caIdentifier  `json:"identifier"`
	Status     string        `json:"status"`
	Challenges []caChallenge `json:"challenges"`
}

type caOrder struct {
	Status         string         `json:"status"`
	Identifiers    []caIdentifier `json:"identifiers"`
	Authorizations []string       `json:"authorizations"`
	Finalize       string         `json:"finalize"`
	Certificate    string         `json:"certificate,omitempty"`
	authz          []int
	chain          []byte
}

func newACMECA(t *testing.T, challenge string) *acmeCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "earshot test ACME CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := x509.ParseCertificate(der)
	ca := &acmeCA{t: t, challenge: challenge, rootKey: key, root: root, roots: x509.NewCertPool()}
	ca.roots.AddCert(root)
	ca.srv = httptest.NewServer(http.HandlerFunc(ca.handle))
	t.Cleanup(ca.srv.Close)
	return ca
}

// directory is the URL for listen.acme_directory.
func (ca *acmeCA) directory() string { return ca.srv.URL + "/directory" }

// validateAt says where earshot's listeners are.
func (ca *acmeCA) validateAt(httpAddr, tlsAddr string) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	ca.httpAddr, ca.tlsAddr = httpAddr, tlsAddr
}

func (ca *acmeCA) issuedCount() int {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	return ca.issued
}

func (ca *acmeCA) handle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Replay-Nonce", "nonce-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	if r.URL.Path == "/directory" {
		json.NewEncoder(w).Encode(map[string]string{
			"newNonce": ca.srv.URL + "/nonce", "newAccount": ca.srv.URL + "/account",
			"newOrder": ca.srv.URL + "/order", "revokeCert": ca.srv.URL + "/revoke", "keyChange": ca.srv.URL + "/key",
		})
		return
	}
	if r.URL.Path == "/nonce" {
		return
	}
	header, payload, err := readJWS(r.Body)
	if err != nil {
		ca.problem(w, http.StatusBadRequest, "malformed", err.Error())
		return
	}
	ca.mu.Lock()
	defer ca.mu.Unlock()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	id := -1
	if len(parts) == 2 {
		id, _ = strconv.Atoi(parts[1])
	}
	switch {
	case parts[0] == "account":
		var jwk struct{ Crv, X, Y string }
		if err := json.Unmarshal(header.JWK, &jwk); err != nil || jwk.Crv != "P-256" {
			ca.problem(w, http.StatusBadRequest, "badPublicKey", "want a P-256 account key")
			return
		}
		x, _ := base64.RawURLEncoding.DecodeString(jwk.X)
		y, _ := base64.RawURLEncoding.DecodeString(jwk.Y)
		pub := &ecdsa.PublicKey{Curve: elliptic.P256(), X: new(big.Int).SetBytes(x), Y: new(big.Int).SetBytes(y)}
		if ca.thumbprint, err = acme.JWKThumbprint(pub); err != nil {
			ca.problem(w, http.StatusBadRequest, "badPublicKey", err.Error())
			return
		}
		w.Header().Set("Location", ca.srv.URL+"/acct/1")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]string{"status": "valid"})
	case parts[0] == "order" && id < 0:
		var req struct{ Identifiers []caIdentifier }
		json.Unmarshal(payload, &req)
		o := &caOrder{Status: "pending", Identifiers: req.Identifiers}
		n := len(ca.orders)
		for _, ident := range req.Identifiers {
			z := len(ca.authzs)
			ca.authzs = append(ca.authzs, &caAuthz{Identifier: ident, Status: "pending", Challenges: []caChallenge{{
				Type: ca.challenge, URL: fmt.Sprintf("%s/challenge/%d", ca.srv.URL, z),
				Token: fmt.Sprintf("token-%d-%d", z, time.Now().UnixNano()), Status: "pending",
			}}})
			o.authz = append(o.authz, z)
			o.Authorizations = append(o.Authorizations, fmt.Sprintf("%s/authz/%d", ca.srv.URL, z))
		}
		o.Finalize = fmt.Sprintf("%s/finalize/%d", ca.srv.URL, n)
		ca.orders = append(ca.orders, o)
		w.Header().Set("Location", fmt.Sprintf("%s/order/%d", ca.srv.URL, n))
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(o)
	case parts[0] == "order" && id < len(ca.orders):
		json.NewEncoder(w).Encode(ca.orders[id])
	case parts[0] == "authz" && id >= 0 && id < len(ca.authzs):
		var req struct{ Status string }
		json.Unmarshal(payload, &req)
		if req.Status == "deactivated" {
			ca.authzs[id].Status = "deactivated"
		}
		json.NewEncoder(w).Encode(ca.authzs[id])
	case parts[0] == "challenge" && id >= 0 && id < len(ca.authzs):
		z := ca.authzs[id]
		if err := ca.validate(z); err != nil {
			ca.t.Logf("ACME test CA: %s for %s failed: %v", ca.challenge, z.Identifier.Value, err)
			z.Status, z.Challenges[0].Status = "invalid", "invalid"
		} else {
			z.Status, z.Challenges[0].Status = "valid", "valid"
		}
		for _, o := range ca.orders {
			ready := o.Status == "pending"
			for _, i := range o.authz {
				ready = ready && ca.authzs[i].Status == "valid"
			}
			if ready {
				o.Status = "ready"
			}
		}
		json.NewEncoder(w).Encode(z.Challenges[0])
	case parts[0] == "finalize" && id >= 0 && id < len(ca.orders):
		o := ca.orders[id]
		var req struct{ CSR string }
		json.Unmarshal(payload, &req)
		der, _ := base64.RawURLEncoding.DecodeString(req.CSR)
		csr, err := x509.ParseCertificateRequest(der)
		if o.Status != "ready" || err != nil {
			ca.problem(w, http.StatusForbidden, "orderNotReady", fmt.Sprintf("order %s, CSR %v", o.Status, err))
			return
		}
		leaf, err := ca.sign(csr)
		if err != nil {
			ca.problem(w, http.StatusBadRequest, "badCSR", err.Error())
			return
		}
		var chain bytes.Buffer
		pem.Encode(&chain, &pem.Block{Type: "CERTIFICATE", Bytes: leaf})
		pem.Encode(&chain, &pem.Block{Type: "CERTIFICATE", Bytes: ca.root.Raw})
		o.chain, o.Status = chain.Bytes(), "valid"
		o.Certificate = fmt.Sprintf("%s/cert/%d", ca.srv.URL, id)
		ca.issued++
		json.NewEncoder(w).Encode(o)
	case parts[0] == "cert" && id >= 0 && id < len(ca.orders) && ca.orders[id].chain != nil:
		w.Header().Set("Content-Type", "application/pem-certificate-chain")
		w.Write(ca.orders[id].chain)
	default:
		ca.problem(w, http.StatusNotFound, "malformed", "no such resource "+r.URL.Path)
	}
}

// validate checks the challenge against earshot, as a CA would. ca.mu is
// held.
func (ca *acmeCA) validate(z *caAuthz) error {
	ch := z.Challenges[0]
	keyAuth := ch.Token + "." + ca.thumbprint
	switch ch.Type {
	case "http-01":
		req, _ := http.NewRequest("GET", "http://"+ca.httpAddr+"/.well-known/acme-challenge/"+ch.Token, nil)
		req.Host = z.Identifier.Value
		res, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 || strings.TrimSpace(string(body)) != keyAuth {
			return fmt.Errorf("GET token: %d %q", res.StatusCode, body)
		}
		return nil
	case "tls-alpn-01":
		conn, err := tls.Dial("tcp", ca.tlsAddr, &tls.Config{
			ServerName: z.Identifier.Value, NextProtos: []string{acme.ALPNProto}, InsecureSkipVerify: true,
		})
		if err != nil {
			return err
		}
		defer conn.Close()
		cert := conn.ConnectionState().PeerCertificates[0]
		want := sha256.Sum256([]byte(keyAuth))
		for _, ext := range cert.Extensions {
			if ext.Id.Equal(asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 31}) {
				var got []byte
				if _, err := asn1.Unmarshal(ext.Value, &got); err != nil || !bytes.Equal(got, want[:]) {
					return fmt.Errorf("acmeIdentifier does not match the key authorization")
				}
				return nil
			}
		}
		return fmt.Errorf("no acmeIdentifier in the certificate for %s", z.Identifier.Value)
	}
	return fmt.Errorf("unknown challenge %s", ch.Type)
}

// sign issues a leaf certificate for the CSR's names.
func (ca *acmeCA) sign(csr *x509.CertificateRequest) ([]byte, error) {
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(int64(100 + ca.issued)), Subject: pkix.Name{CommonName: csr.Subject.CommonName},
		DNSNames: csr.DNSNames, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(90 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	return x509.CreateCertificate(rand.Reader, tmpl, ca.root, csr.PublicKey, ca.rootKey)
}

func (ca *acmeCA) problem(w http.ResponseWriter, code int, typ, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"type": "urn:ietf:params:acme:error:" + typ, "detail": detail})
}

type jwsHeader struct {
	JWK json.RawMessage `json:"jwk"`
	KID string          `json:"kid"`
}

// readJWS decodes a flattened JWS without checking its signature.
func readJWS(r io.Reader) (jwsHeader, []byte, error) {
	var msg struct{ Protected, Payload string }
	var h jwsHeader
	if err := json.NewDecoder(r).Decode(&msg); err != nil {
		return h, nil, fmt.Errorf("JWS: %w", err)
	}
	hb, err := base64.RawURLEncoding.DecodeString(msg.Protected)
	if err != nil {
		return h, nil, fmt.Errorf("JWS header: %w", err)
	}
	if err := json.Unmarshal(hb, &h); err != nil {
		return h, nil, fmt.Errorf("JWS header: %w", err)
	}
	payload, err := base64.RawURLEncoding.DecodeString(msg.Payload)
	if err != nil {
		return h, nil, fmt.Errorf("JWS payload: %w", err)
	}
	return h, payload, nil
}
