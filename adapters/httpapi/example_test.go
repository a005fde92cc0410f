package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/matchpoint/matchpoint/adapters/cache/bigcache"
	"github.com/matchpoint/matchpoint/adapters/httpapi"
	"github.com/matchpoint/matchpoint/adapters/memory"
	"github.com/matchpoint/matchpoint/adapters/notify/outbox"
	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/adapters/queue/inproc"
	"github.com/matchpoint/matchpoint/adapters/system"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/ports"
)

// The HTTP API serves the use cases of an *app.App (see the app package's example
// for composing one). Errors are RFC 9457 problems; Ready backs GET /readyz; Extra
// mounts the sandbox gateway's checkout pages under /sandbox/.
func ExampleNew() {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	mux := http.NewServeMux()
	server := httptest.NewServer(mux)
	defer server.Close()

	cache, err := bigcache.New(bigcache.Config{})
	if err != nil {
		panic(err)
	}
	defer cache.Close()
	gateway, err := sandbox.New(sandbox.Config{BaseURL: server.URL, Secret: "a sandbox secret of the example"})
	if err != nil {
		panic(err)
	}
	queue := inproc.New(inproc.Config{Logger: log})
	store := memory.New()
	mp, err := app.New(app.Deps{
		Store: store, Cache: cache, Gateways: ports.OneGateway(gateway), Jobs: queue,
		Notifier: outbox.New(outbox.Config{Logger: log}), Clock: system.NewClock(), IDs: system.NewIDs(),
		Reporter: system.NewReporter(log), Logger: log,
	}, app.Config{TokenSecret: []byte("at least thirty-two bytes of secret!")})
	if err != nil {
		panic(err)
	}
	if err := queue.Start(ctx, mp.Workers()); err != nil {
		panic(err)
	}
	defer func() { _ = queue.Stop(ctx) }()

	mux.Handle("/", httpapi.New(mp, httpapi.Config{
		Logger: log,
		Ready:  func(context.Context) error { return nil }, // a real store is pinged here
		Extra:  gateway.Handler(),
	}))

	for _, path := range []string{"/healthz", "/readyz", "/v1/clubs/nowhere/availability?date=2026-03-03&sport=padel&duration=90"} {
		res, err := http.Get(server.URL + path)
		if err != nil {
			panic(err)
		}
		var problem struct {
			Code string `json:"code"`
		}
		_ = json.NewDecoder(res.Body).Decode(&problem)
		_ = res.Body.Close()
		fmt.Println(res.StatusCode, res.Header.Get("Content-Type"))
		if problem.Code != "" {
			fmt.Println("  problem:", problem.Code)
		}
	}
	// Output:
	// 200 application/json
	// 200 application/json
	// 404 application/problem+json
	//   problem: not_found
}
