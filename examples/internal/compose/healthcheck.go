package compose

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// HealthCheckTimeout bounds a health check: connecting, asking and reading the answer.
const HealthCheckTimeout = 3 * time.Second

// HealthCheck asks the process listening on httpAddr (MATCHPOINT_HTTP_ADDR) for GET
// path (/healthz or /readyz) on the loopback interface when httpAddr names no host
// or every interface (":8080", "0.0.0.0:8080", "[::]:8080"), and returns nil if it
// answers 200. It is what `server healthcheck` and `worker healthcheck` run: an image
// without a shell or curl (distroless, scratch) checks its process with its own binary.
func HealthCheck(ctx context.Context, httpAddr, path string) error {
	host, port, err := net.SplitHostPort(httpAddr)
	if err != nil {
		return fmt.Errorf("MATCHPOINT_HTTP_ADDR=%q: %w", httpAddr, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	url := "http://" + net.JoinHostPort(host, port) + path
	ctx, cancel := context.WithTimeout(ctx, HealthCheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, res.Status)
	}
	return nil
}
