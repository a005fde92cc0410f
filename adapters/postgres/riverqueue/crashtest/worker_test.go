package crashtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/matchpoint/matchpoint/adapters/cache/bigcache"
	"github.com/matchpoint/matchpoint/adapters/notify/smtp"
	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/adapters/postgres"
	"github.com/matchpoint/matchpoint/adapters/postgres/riverqueue"
	"github.com/matchpoint/matchpoint/adapters/system"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// The worker process's settings, from its environment.
const (
	workerEnv      = "MATCHPOINT_CRASH_WORKER" // "1": run as a worker, not as tests
	envSMTP        = "MATCHPOINT_CRASH_SMTP_URL"
	envProvider    = "MATCHPOINT_CRASH_PROVIDER_URL"
	envConcurrency = "MATCHPOINT_CRASH_CONCURRENCY"
	envJobTimeout  = "MATCHPOINT_CRASH_JOB_TIMEOUT"
	envRescueAfter = "MATCHPOINT_CRASH_RESCUE_AFTER"
	// readyLine is what a worker prints once its queue has started.
	readyLine = "crashtest worker: queue started"
)

// tokenSecret keys the customers' tokens in the test and in its workers alike.
var tokenSecret = []byte("crashtest: a token secret of at least 32 bytes")

// mailFrom is the workers' sender; its domain ends every Message-ID.
const mailFrom = "Match Point <bookings@matchpoint.test>"

// runWorker is the worker process: it runs jobs until SIGTERM (then stops its queue)
// or SIGKILL.
func runWorker() int {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := work(log); err != nil {
		log.Error("crashtest worker failed", "error", err)
		return 1
	}
	return 0
}

func work(log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	concurrency, err := strconv.Atoi(os.Getenv(envConcurrency))
	if err != nil {
		return fmt.Errorf("%s: %w", envConcurrency, err)
	}
	jobTimeout, err := time.ParseDuration(os.Getenv(envJobTimeout))
	if err != nil {
		return fmt.Errorf("%s: %w", envJobTimeout, err)
	}
	rescueAfter, err := time.ParseDuration(os.Getenv(envRescueAfter))
	if err != nil {
		return fmt.Errorf("%s: %w", envRescueAfter, err)
	}

	db, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"), postgres.WithMaxOpenConns(16))
	if err != nil {
		return err
	}
	defer db.Close()
	store := postgres.New(db)
	reporter := system.NewReporter(log)
	queue, err := riverqueue.New(store, db.DB, riverqueue.Config{
		Reporter: reporter, Logger: log, Concurrency: concurrency,
		JobTimeout: jobTimeout, RescueAfter: rescueAfter,
		FetchPollInterval: 50 * time.Millisecond,
		Backoff:           func(int) time.Duration { return 200 * time.Millisecond },
	})
	if err != nil {
		return err
	}
	notifier, err := smtp.New(smtp.Config{URL: os.Getenv(envSMTP), From: mailFrom, HELO: "worker.matchpoint.test", Timeout: 20 * time.Second})
	if err != nil {
		return err
	}
	cache, err := bigcache.New(bigcache.Config{})
	if err != nil {
		return err
	}
	defer cache.Close()
	gw := &remoteGateway{url: os.Getenv(envProvider), client: &http.Client{Timeout: 30 * time.Second}}
	mp, err := app.New(app.Deps{
		Store: store, Cache: cache, Gateways: ports.OneGateway(gw), Notifier: notifier, Jobs: queue,
		Clock: system.NewClock(), IDs: system.NewIDs(), Reporter: reporter, Logger: log,
	}, app.Config{TokenSecret: tokenSecret})
	if err != nil {
		return err
	}
	if err := queue.Start(ctx, mp.Workers()); err != nil {
		return err
	}
	fmt.Println(readyLine)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return queue.Stop(sctx)
}

// remoteGateway is the workers' payment gateway: named as the sandbox gateway the test
// takes payments with, it asks the test's provider stand-in over HTTP for refunds,
// payments and closing checkouts, as a real gateway asks its provider. A worker opens
// no checkouts and receives no webhooks.
type remoteGateway struct {
	url    string
	client *http.Client
}

// Provider returns the sandbox's name, under which the test's bookings were paid.
func (g *remoteGateway) Provider() string { return sandbox.Provider }

// CreateCheckout is not a worker's business.
func (g *remoteGateway) CreateCheckout(context.Context, ports.CheckoutRequest) (ports.Checkout, error) {
	return ports.Checkout{}, domain.Errorf(domain.CodeInternal, "crashtest: a worker opens no checkouts")
}

// ParseWebhook is not a worker's business.
func (g *remoteGateway) ParseWebhook(http.Header, []byte) (ports.PaymentEvent, error) {
	return ports.PaymentEvent{}, domain.Errorf(domain.CodeInternal, "crashtest: a worker receives no webhooks")
}

// Refund asks the provider for a refund.
func (g *remoteGateway) Refund(ctx context.Context, req ports.RefundRequest) (ports.Refund, error) {
	var out refundAnswer
	err := g.call(ctx, "/refund", refundCall{BookingID: req.BookingID, PaymentRef: req.PaymentRef, Amount: req.Amount, IdempotencyKey: req.IdempotencyKey}, &out)
	return ports.Refund{ID: out.ID, Amount: out.Amount}, err
}

// GetPayment asks the provider about a payment.
func (g *remoteGateway) GetPayment(ctx context.Context, ref string) (ports.Payment, error) {
	var out paymentAnswer
	err := g.call(ctx, "/payment", refCall{Ref: ref}, &out)
	return ports.Payment{Ref: out.Ref, BookingID: out.BookingID, Status: out.Status, Amount: out.Amount}, err
}

// ExpireCheckout asks the provider to close a checkout.
func (g *remoteGateway) ExpireCheckout(ctx context.Context, ref string) error {
	return g.call(ctx, "/expire", refCall{Ref: ref}, nil)
}

// call posts in as JSON to the provider's path and decodes its answer into out. An
// answer of failure carries the provider's error code; no answer is unavailable.
func (g *remoteGateway) call(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return domain.Errorf(domain.CodeInternal, "crashtest: %v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.url+path, bytes.NewReader(body))
	if err != nil {
		return domain.Errorf(domain.CodeInternal, "crashtest: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := g.client.Do(req)
	if err != nil {
		return domain.Errorf(domain.CodeUnavailable, "crashtest provider: %v", err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return domain.Errorf(domain.CodeUnavailable, "crashtest provider: %v", err)
	}
	if res.StatusCode != http.StatusOK {
		var e errorAnswer
		if json.Unmarshal(data, &e) != nil || e.Code == "" {
			return domain.Errorf(domain.CodeUnavailable, "crashtest provider: %s", res.Status)
		}
		return domain.Errorf(e.Code, "crashtest provider: %s", e.Message)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return domain.Errorf(domain.CodeUnavailable, "crashtest provider: %v", errors.Join(err, errors.New(string(data))))
	}
	return nil
}

// The provider stand-in's requests and answers.
type (
	refundCall struct {
		BookingID      string       `json:"booking_id"`
		PaymentRef     string       `json:"payment_ref"`
		Amount         domain.Money `json:"amount"`
		IdempotencyKey string       `json:"idempotency_key"`
	}
	refundAnswer struct {
		ID     string       `json:"id"`
		Amount domain.Money `json:"amount"`
	}
	refCall struct {
		Ref string `json:"ref"`
	}
	paymentAnswer struct {
		Ref       string              `json:"ref"`
		BookingID string              `json:"booking_id"`
		Status    ports.PaymentStatus `json:"status"`
		Amount    domain.Money        `json:"amount"`
	}
	errorAnswer struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
)
