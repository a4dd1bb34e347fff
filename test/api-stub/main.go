// A stand-in for a kind node's API server, for host-side tests on a real Docker engine (no
// kind node image can be pulled here). At start it writes what kubeadm leaves in a kind node,
// /etc/kubernetes/admin.conf and /kind/kubeadm.conf, then serves /readyz over TLS on :6443.
//
//	POD_SUBNET, SERVICE_SUBNET   written into /kind/kubeadm.conf
//	STUB_HALF_MADE=1             write nothing and serve nothing: a node killed before kubeadm ran
//	/stub-unready (a file)       /readyz answers 500
package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"time"
)

// certificate signs template with signer as parent (nil: self-signed).
func certificate(template, parent *x509.Certificate, key, signer *ecdsa.PrivateKey) ([]byte, *x509.Certificate) {
	if parent == nil {
		parent = template
	}
	der, err := x509.CreateCertificate(rand.Reader, template, parent, &key.PublicKey, signer)
	if err != nil {
		panic(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), cert
}

func newKey() (*ecdsa.PrivateKey, []byte) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalECPrivateKey(key)
	return key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})
}

func main() {
	if os.Getenv("STUB_HALF_MADE") == "1" {
		for {
			time.Sleep(time.Hour)
		}
	}
	host, _ := os.Hostname()
	now := time.Now()
	caKey, _ := newKey()
	caPem, ca := certificate(&x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kubernetes"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}, nil, caKey, caKey)
	serverKey, serverKeyPem := newKey()
	serverPem, _ := certificate(&x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "kube-apiserver"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), DNSNames: []string{host, "localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, ca, serverKey, caKey)
	clientKey, clientKeyPem := newKey()
	clientPem, _ := certificate(&x509.Certificate{SerialNumber: big.NewInt(3), Subject: pkix.Name{CommonName: "kubernetes-admin"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, ca, clientKey, caKey)

	b64 := base64.StdEncoding.EncodeToString
	must(os.MkdirAll("/etc/kubernetes", 0o755))
	must(os.MkdirAll("/kind", 0o755))
	must(os.WriteFile("/kind/kubeadm.conf", []byte(fmt.Sprintf("kind: ClusterConfiguration\nnetworking:\n  podSubnet: \"%s\"\n  serviceSubnet: \"%s\"\n",
		os.Getenv("POD_SUBNET"), os.Getenv("SERVICE_SUBNET"))), 0o644))
	must(os.WriteFile("/etc/kubernetes/admin.conf", []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: %s
    server: https://%s:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: kubernetes-admin
  name: kubernetes-admin@kubernetes
current-context: kubernetes-admin@kubernetes
preferences: {}
users:
- name: kubernetes-admin
  user:
    client-certificate-data: %s
    client-key-data: %s
`, b64(caPem), host, b64(clientPem), b64(clientKeyPem))), 0o600))

	pair, err := tls.X509KeyPair(serverPem, serverKeyPem)
	must(err)
	http.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if _, err := os.Stat("/stub-unready"); err == nil {
			http.Error(w, "[-]etcd failed: not ready", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, "ok")
	})
	server := &http.Server{Addr: ":6443", TLSConfig: &tls.Config{Certificates: []tls.Certificate{pair}}}
	must(server.ListenAndServeTLS("", ""))
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}
