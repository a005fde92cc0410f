package main

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/domain"
)

// The server's edge against a hostile client, over real TCP: text no store can hold,
// oversized headers, idle and slow connections, and more connections than it serves.

// safety bounds a wait on the network that should end much sooner; reaching it fails
// the test instead of hanging it. No assertion depends on how long anything took.
const safety = 20 * time.Second

// admin is the header that authenticates the demo club's API key.
func (s *testServer) admin() map[string]string {
	return map[string]string{"Authorization": "Bearer " + s.demo.APIKey}
}

// snapshot is everything the demo club holds, as its admin lists show it.
func (s *testServer) snapshot(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, list := range []string{"courts", "seasons", "closures", "price-rules", "bookings"} {
		r := s.do(t, "GET", "/v1/admin/clubs/demo/"+list, "", s.admin())
		require.Equal(t, http.StatusOK, r.status, r.raw)
		b.WriteString(r.raw)
	}
	return b.String()
}

// TestHostileText sends NUL, control characters and invalid UTF-8 in paths, queries
// and JSON, and JSON whose members are given twice or in capitals, to the server on the
// memory store and on Postgres (which refuses NUL in text): every one is a 400
// invalid_request problem, and nothing is stored.
func TestHostileText(t *testing.T) {
	stores := map[string]func(t *testing.T) map[string]string{
		"memory": func(*testing.T) map[string]string { return nil },
		"postgres": func(t *testing.T) map[string]string {
			return map[string]string{"MATCHPOINT_DATABASE_URL": testDatabase(t), "MATCHPOINT_MIGRATE": "auto"}
		},
	}
	for name, env := range stores {
		t.Run(name, func(t *testing.T) {
			s := startServerWith(t, env(t))
			court := s.demo.Courts[0].ID
			day := domain.DateOf(time.Now(), s.demo.Club.Location).AddDays(3)
			start, _ := day.At(domain.MustClock("17:30"), s.demo.Club.Location)
			booking := func(name string) string {
				return `{"court_id":"` + court + `","start":"` + start.Format(time.RFC3339) + `","duration_minutes":60,"customer":{"name":"` + name + `","email":"ana@example.com"}}`
			}
			closure := `{"start":"` + start.Format(time.RFC3339) + `","end":"` + start.Add(time.Hour).Format(time.RFC3339) + `","reason":"rain\u0000"}`
			avail := "/v1/clubs/demo/availability?date=" + day.String() + "&duration=60"
			admin := "/v1/admin/clubs/demo"
			cases := []struct {
				name, method, path, body string
				admin                    bool
			}{
				{"NUL in a booking id", "GET", "/v1/bookings/a%00b", "", false},
				{"NUL in a booking id to cancel", "POST", "/v1/bookings/a%00b/cancel", "", false},
				{"NUL in a club slug", "GET", "/v1/clubs/de%00mo/availability?date=" + day.String() + "&sport=padel&duration=60", "", false},
				{"NUL in a club slug of a booking", "POST", "/v1/clubs/de%00mo/bookings", booking("Ana"), false},
				{"NUL in a customer name", "POST", "/v1/clubs/demo/bookings", booking(`Ana\u0000`), false},
				{"invalid UTF-8 in a customer name", "POST", "/v1/clubs/demo/bookings", booking("Ana \xff"), false},
				{"a control character in a customer name", "POST", "/v1/clubs/demo/bookings", booking(`Ana\u001b[2J`), false},
				{"NUL in a court name", "POST", admin + "/courts", `{"name":"Padel\u00009","sport":"padel"}`, true},
				{"NUL in a replaced court's name", "PUT", admin + "/courts/" + court, `{"name":"Padel\u0000","sport":"padel"}`, true},
				{"NUL in a closure reason", "POST", admin + "/closures", closure, true},
				{"NUL in an admin filter", "GET", admin + "/bookings?court_id=a%00b", "", true},
				{"invalid UTF-8 in an admin filter", "GET", admin + "/bookings?court_id=%FF", "", true},
				{"invalid UTF-8 in a query value", "GET", avail + "&sport=pad%FFel", "", false},
				{"a member given twice", "POST", "/v1/clubs/demo/bookings", strings.Replace(booking("Ana"), `"duration_minutes":60`, `"duration_minutes":60,"duration_minutes":90`, 1), false},
				{"a member in capitals", "POST", "/v1/clubs/demo/bookings", strings.Replace(booking("Ana"), `"court_id"`, `"Court_ID"`, 1), false},
			}
			before := s.snapshot(t)
			for _, c := range cases {
				var header map[string]string
				if c.admin {
					header = s.admin()
				}
				r := s.do(t, c.method, c.path, c.body, header)
				assert.Equal(t, http.StatusBadRequest, r.status, "%s: %s", c.name, r.raw)
				assert.Equal(t, "invalid_request", r.body["code"], "%s: %s", c.name, r.raw)
			}
			assert.Equal(t, before, s.snapshot(t), "a refused request stores nothing")

			// The same requests without the bad text go through.
			r := s.do(t, "POST", "/v1/clubs/demo/bookings", booking("Ana"), nil)
			assert.Equal(t, http.StatusCreated, r.status, r.raw)
			r = s.do(t, "POST", admin+"/closures", strings.Replace(closure, `\u0000`, `\nmojado\t☂`, 1), s.admin())
			assert.Equal(t, http.StatusCreated, r.status, r.raw)
		})
	}
}

// dial opens a TCP connection to the server, closed when the test ends.
func (s *testServer) dial(t *testing.T) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", s.Listener.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c, bufio.NewReader(c)
}

const healthz = "GET /healthz HTTP/1.1\r\nHost: matchpoint\r\n\r\n"

// roundTrip writes a request on c and reads its whole response.
func roundTrip(t *testing.T, c net.Conn, br *bufio.Reader, req string) (*http.Response, string) {
	t.Helper()
	require.NoError(t, c.SetDeadline(time.Now().Add(safety)))
	_, err := io.WriteString(c, req)
	require.NoError(t, err)
	res, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, string(body)
}

// closedByServer reads c until the server closes it: EOF (or a reset) is a closed
// connection; reaching the safety deadline is a connection still open.
func closedByServer(t *testing.T, c net.Conn, br *bufio.Reader) bool {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(safety)))
	_, err := io.Copy(io.Discard, br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return true // io.Copy returns nil at EOF; a reset is closed too
}

// TestLargeHeaders: header fields over the Handler's 64 KiB are a 431 problem; over
// the server's 1 MiB Go's server itself answers 431, in plain text.
func TestLargeHeaders(t *testing.T) {
	s := startServer(t)
	r := s.do(t, "GET", "/healthz", "", map[string]string{"X-Padding": strings.Repeat("p", 100<<10)})
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, r.status, r.raw)
	assert.Equal(t, "header_too_large", r.body["code"], r.raw)

	c, br := s.dial(t)
	require.NoError(t, c.SetDeadline(time.Now().Add(safety)))
	go func() {
		// The server answers before it has read all this; the write then fails.
		_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: matchpoint\r\nX-Padding: "+strings.Repeat("p", 2<<20)+"\r\n\r\n")
	}()
	res, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, res.StatusCode)
	assert.True(t, strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain"), "Go's server answers before any handler")

	assert.Equal(t, http.StatusOK, s.do(t, "GET", "/healthz", "", map[string]string{"X-Padding": strings.Repeat("p", 32<<10)}).status)
}

// TestIdleConnectionClosed: a keep-alive connection left idle is closed by the server.
func TestIdleConnectionClosed(t *testing.T) {
	s := startServerWith(t, map[string]string{"MATCHPOINT_HTTP_IDLE_TIMEOUT": "200ms"})
	c, br := s.dial(t)
	res, _ := roundTrip(t, c, br, healthz)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.False(t, res.Close, "the connection is kept alive for another request")
	assert.True(t, closedByServer(t, c, br), "the idle connection is closed by the server")
}

// TestSlowBodyCutOff: a booking whose body is trickled in a few bytes at a time is cut
// off by the read timeout: no booking is made, and the connection is closed.
func TestSlowBodyCutOff(t *testing.T) {
	s := startServerWith(t, map[string]string{"MATCHPOINT_HTTP_READ_TIMEOUT": "500ms"})
	loc := s.demo.Club.Location
	start, _ := domain.DateOf(time.Now(), loc).AddDays(3).At(domain.MustClock("17:30"), loc)
	body := bookingJSON(s.demo.Courts[0].ID, start, 90, "Ana", "ana@example.com")
	before := s.snapshot(t)

	c, br := s.dial(t)
	require.NoError(t, c.SetDeadline(time.Now().Add(safety)))
	_, err := io.WriteString(c, "POST /v1/clubs/demo/bookings HTTP/1.1\r\nHost: matchpoint\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
	require.NoError(t, err)
	trickled := make(chan error, 1)
	go func() {
		// Three bytes every 100 ms: the whole body would take several seconds.
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for rest := body; ; <-tick.C {
			n := min(3, len(rest))
			chunk := strconv.FormatInt(int64(n), 16) + "\r\n" + rest[:n] + "\r\n"
			if rest = rest[n:]; rest == "" {
				chunk += "0\r\n\r\n"
			}
			if _, err := io.WriteString(c, chunk); err != nil || rest == "" {
				trickled <- err
				return
			}
		}
	}()
	res, err := http.ReadResponse(br, nil)
	if err == nil {
		raw, _ := io.ReadAll(res.Body)
		assert.NotEqual(t, http.StatusCreated, res.StatusCode, "the trickled booking is not made: %s", raw)
	}
	assert.True(t, closedByServer(t, c, br), "the server closes the connection")
	_ = c.Close()
	<-trickled
	assert.Equal(t, before, s.snapshot(t), "no booking was made")
}

// TestConnectionCap: beyond MATCHPOINT_HTTP_MAX_CONNS a connection waits, unserved,
// until another closes; then it is served.
func TestConnectionCap(t *testing.T) {
	s := startServerWith(t, map[string]string{"MATCHPOINT_HTTP_MAX_CONNS": "2"})
	first, firstR := s.dial(t)
	res, _ := roundTrip(t, first, firstR, healthz)
	require.Equal(t, http.StatusOK, res.StatusCode)
	second, secondR := s.dial(t)
	res, _ = roundTrip(t, second, secondR, healthz)
	require.Equal(t, http.StatusOK, res.StatusCode)

	third, thirdR := s.dial(t)
	_, err := io.WriteString(third, healthz)
	require.NoError(t, err)
	// The third connection is not served while the other two are open. A wait cannot
	// prove a negative; a server without the cap answers at once, and fails this.
	require.NoError(t, third.SetReadDeadline(time.Now().Add(500*time.Millisecond)))
	_, err = thirdR.Peek(1)
	var ne net.Error
	require.True(t, errors.As(err, &ne) && ne.Timeout(), "no answer beyond the cap, got %v", err)

	require.NoError(t, first.Close())
	require.NoError(t, third.SetReadDeadline(time.Now().Add(safety)))
	res, err = http.ReadResponse(thirdR, nil)
	require.NoError(t, err, "once a connection closes the waiting one is served")
	assert.Equal(t, http.StatusOK, res.StatusCode)
}

func TestHTTPLimitsConfig(t *testing.T) {
	cfg, err := LoadConfig(func(string) string { return "" })
	require.NoError(t, err)
	assert.Equal(t, HTTPLimits{ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute, MaxConns: 4096}, cfg.HTTP)

	env := map[string]string{
		"MATCHPOINT_HTTP_READ_HEADER_TIMEOUT": "2s", "MATCHPOINT_HTTP_READ_TIMEOUT": "15s",
		"MATCHPOINT_HTTP_WRITE_TIMEOUT": "45s", "MATCHPOINT_HTTP_IDLE_TIMEOUT": "2m", "MATCHPOINT_HTTP_MAX_CONNS": "100",
	}
	cfg, err = LoadConfig(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, HTTPLimits{ReadHeaderTimeout: 2 * time.Second, ReadTimeout: 15 * time.Second, WriteTimeout: 45 * time.Second, IdleTimeout: 2 * time.Minute, MaxConns: 100}, cfg.HTTP)

	for name, bad := range map[string]string{
		"MATCHPOINT_HTTP_READ_HEADER_TIMEOUT": "0s", "MATCHPOINT_HTTP_READ_TIMEOUT": "soon",
		"MATCHPOINT_HTTP_WRITE_TIMEOUT": "-1s", "MATCHPOINT_HTTP_IDLE_TIMEOUT": "60",
		"MATCHPOINT_HTTP_MAX_CONNS": "0",
	} {
		_, err := LoadConfig(func(k string) string {
			if k == name {
				return bad
			}
			return ""
		})
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), name)
	}
}
