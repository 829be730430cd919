package ua

import (
	"crypto/tls"
	"net"
	"testing"
	"time"
)

// BenchmarkTLSHandshake: one full TLS 1.3 handshake with the device's
// self-signed ECDSA P-256 certificate (what each new SIPS connection
// costs the device), both ends in this process.
func BenchmarkTLSHandshake(b *testing.B) {
	cert, err := loadDeviceCert("", "", b.TempDir(), time.Now())
	if err != nil {
		b.Fatal(err)
	}
	srv := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, ClientAuth: tls.RequestClientCert}
	cli := &tls.Config{InsecureSkipVerify: true} // the client's check is not what is measured
	for b.Loop() {
		a, c := net.Pipe()
		done := make(chan error, 1)
		go func() { done <- tls.Server(a, srv).Handshake() }()
		if err := tls.Client(c, cli).Handshake(); err != nil {
			b.Fatal(err)
		}
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		a.Close()
		c.Close()
	}
}
