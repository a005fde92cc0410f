package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/notify/smtp/mailpittest"
	"github.com/matchpoint/matchpoint/adapters/payments/mercadopago/mptest"
	"github.com/matchpoint/matchpoint/domain"
)

// The servers and workers of these tests take the demo club's payments through
// MercadoPago's stand-in (mptest), which runs in the test and which every process
// reaches over HTTP: the sandbox gateway keeps its payments in the memory of the server
// that took them, where a worker's refund cannot reach them.

// mercadoPagoEnv is the configuration of the demo club on acct.
func mercadoPagoEnv(acct *mptest.Account) map[string]string {
	cfg := acct.Config()
	return map[string]string{
		"MATCHPOINT_MERCADOPAGO_ACCESS_TOKEN":   cfg.AccessToken,
		"MATCHPOINT_MERCADOPAGO_WEBHOOK_SECRET": cfg.WebhookSecret,
		"MATCHPOINT_MERCADOPAGO_API_URL":        cfg.BaseURL,
		"MATCHPOINT_CLUB_GATEWAYS":              "demo=mercadopago",
		"MATCHPOINT_TOKEN_SECRET":               strings.Repeat("s", 32),
	}
}

// with is env with more added.
func with(env map[string]string, more map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// booking is a paid booking of the demo club.
type booking struct {
	id, auth   string
	paymentRef string
}

// bookAndPay books padel court 1 three days ahead at 17:30 on the server at base, pays
// the checkout at acct and delivers the payment's webhook, and checks the booking is
// confirmed.
func bookAndPay(t *testing.T, base string, acct *mptest.Account) booking {
	t.Helper()
	loc, err := time.LoadLocation("America/Argentina/Buenos_Aires")
	require.NoError(t, err)
	day := domain.DateOf(time.Now(), loc).AddDays(3)
	start, ok := day.At(domain.MustClock("17:30"), loc)
	require.True(t, ok)
	r := call(t, "GET", base+"/v1/clubs/demo/availability?date="+day.String()+"&sport=padel&duration=90", "", nil)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	court := r.body["courts"].([]any)[0].(map[string]any)["court_id"].(string)

	body, _ := json.Marshal(map[string]any{
		"court_id": court, "start": start.Format(time.RFC3339), "duration_minutes": 90,
		"customer": map[string]any{"name": "Ana Pérez", "email": "ana@example.com", "phone": "+54 11 5555 0000"},
	})
	r = call(t, "POST", base+"/v1/clubs/demo/bookings", string(body), nil)
	require.Equal(t, http.StatusCreated, r.status, r.raw)
	b := booking{id: r.body["booking"].(map[string]any)["id"].(string), auth: "Bearer " + r.body["access_token"].(string)}
	checkout, err := url.Parse(r.body["checkout_url"].(string))
	require.NoError(t, err)
	pref := checkout.Query().Get("pref_id")
	require.NotEmpty(t, pref, "the checkout opened at MercadoPago: %s", checkout)

	header, event := acct.Pay(t, pref, acct.Asked(t, pref))
	hook := map[string]string{}
	for k := range header {
		hook[k] = header.Get(k)
	}
	r = call(t, "POST", base+"/v1/webhooks/mercadopago", string(event), hook)
	require.Equal(t, http.StatusOK, r.status, r.raw)
	b.paymentRef = mptest.PaymentRef(t, event)
	r = call(t, "GET", base+"/v1/bookings/"+b.id, "", map[string]string{"Authorization": b.auth})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	require.Equal(t, "confirmed", r.body["booking"].(map[string]any)["status"])
	return b
}

// cancel cancels b on the server at base, which answers 200 with the whole payment to
// refund.
func cancel(t *testing.T, base string, b booking) {
	t.Helper()
	r := call(t, "POST", base+"/v1/bookings/"+b.id+"/cancel", "", map[string]string{"Authorization": b.auth})
	require.Equal(t, http.StatusOK, r.status, r.raw)
	assert.Equal(t, "cancelled", r.body["booking"].(map[string]any)["status"])
	assert.Equal(t, float64(1_600_000), r.body["refund"].(map[string]any)["amount"])
}

// subjects are the subjects of the mail in mailpit, sorted as received.
func subjects(t *testing.T, mail *mailpittest.Server) []string {
	var out []string
	for _, m := range mail.Messages(t) {
		out = append(out, m.Subject)
	}
	return out
}

// TestServerAndWorker walks the README's flow on a server that runs no workers
// (MATCHPOINT_WORKER=off) and a worker process on the same database: the booking's
// jobs wait in River until the worker runs them, the confirmation and the cancellation
// reach the customer through SMTP (mailpit), and the refund reaches MercadoPago.
func TestServerAndWorker(t *testing.T) {
	db := testDatabase(t)
	acct, mail := mptest.Start(t), mailpittest.Start(t)
	env := with(mercadoPagoEnv(acct), map[string]string{"MATCHPOINT_SMTP_URL": mail.SMTPURL()})
	_, base := startServer(t, db, with(env, map[string]string{"MATCHPOINT_WORKER": "off"}))

	b := bookAndPay(t, base, acct)
	time.Sleep(300 * time.Millisecond)
	assert.Equal(t, 1, jobs(t, db, "notify.booking", "available"), "the confirmation waits in River: the server runs no workers")
	assert.Empty(t, mail.Messages(t), "no mail without a worker")

	startWorker(t, db, env)
	waitIdle(t, db)
	assert.Equal(t, []string{"Demo Padel & Tennis: Padel 1 booked"}, subjects(t, mail), "the worker sent the confirmation")
	msg := mail.Message(t, mail.Messages(t)[0].ID)
	require.Len(t, msg.To, 1)
	assert.Equal(t, "ana@example.com", msg.To[0].Address)

	cancel(t, base, b)
	waitIdle(t, db)
	require.Len(t, acct.Refunds(b.paymentRef), 1, "the worker refunded the payment at MercadoPago")
	assert.Equal(t, int64(1_600_000), acct.Refunds(b.paymentRef)[0].Amount())
	assert.ElementsMatch(t, []string{"Demo Padel & Tennis: Padel 1 booked", "Demo Padel & Tennis: booking cancelled"}, subjects(t, mail))
	assert.Equal(t, 1, jobs(t, db, "payment.refund", "completed"))
}

// TestRefundAfterTheServerIsKilled kills a server that runs no workers right after it
// answered a cancellation: the refund job was committed with the cancellation, so a
// worker started afterwards refunds the payment.
func TestRefundAfterTheServerIsKilled(t *testing.T) {
	db := testDatabase(t)
	acct := mptest.Start(t)
	env := mercadoPagoEnv(acct)
	server, base := startServer(t, db, with(env, map[string]string{"MATCHPOINT_WORKER": "off"}))
	b := bookAndPay(t, base, acct)
	cancel(t, base, b)
	server.signal(t, syscall.SIGKILL)
	server.exited(t, 10*time.Second)
	assert.Empty(t, acct.Refunds(b.paymentRef), "nothing refunded yet")

	startWorker(t, db, env)
	require.Eventually(t, func() bool { return len(acct.Refunds(b.paymentRef)) == 1 }, 30*time.Second, 50*time.Millisecond,
		"the worker refunds the cancelled booking")
	assert.Equal(t, int64(1_600_000), acct.Refunds(b.paymentRef)[0].Amount())
}

// TestRefundAfterTheServerStops stops a server that runs the workers itself right after
// it answered a cancellation, gracefully (SIGTERM) or not (SIGKILL): whether the
// server's own worker refunded before it stopped or the job was still waiting, the
// payment is refunded exactly once — by a worker started afterwards if need be.
func TestRefundAfterTheServerStops(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			db := testDatabase(t)
			acct := mptest.Start(t)
			env := mercadoPagoEnv(acct)
			server, base := startServer(t, db, env) // MATCHPOINT_WORKER=embedded, the default
			b := bookAndPay(t, base, acct)
			cancel(t, base, b)
			server.signal(t, sig)
			server.exited(t, 15*time.Second)

			startWorker(t, db, env)
			require.Eventually(t, func() bool { return len(acct.Refunds(b.paymentRef)) == 1 }, 30*time.Second, 50*time.Millisecond,
				"the cancelled booking is refunded")
			time.Sleep(time.Second) // a second refund would come from a job run twice
			require.Len(t, acct.Refunds(b.paymentRef), 1, "refunded once")
			assert.Equal(t, int64(1_600_000), acct.Refunds(b.paymentRef)[0].Amount())
		})
	}
}

// TestWorkerHealthAndDrain checks the worker's health checks, and that on SIGTERM it
// turns unready at once, lets the job it runs finish, and exits with 0.
func TestWorkerHealthAndDrain(t *testing.T) {
	db := testDatabase(t)
	acct := mptest.Start(t)
	env := mercadoPagoEnv(acct)
	_, base := startServer(t, db, with(env, map[string]string{"MATCHPOINT_WORKER": "off"}))
	worker, health := startWorker(t, db, with(env, map[string]string{"MATCHPOINT_SHUTDOWN_TIMEOUT": "20s"}))
	assert.Equal(t, http.StatusOK, status(health+"/healthz"))
	assert.Equal(t, http.StatusOK, status(health+"/readyz"))

	b := bookAndPay(t, base, acct)
	waitIdle(t, db)
	release := acct.Hold() // MercadoPago keeps the refund's request waiting
	defer release()
	cancel(t, base, b)
	require.Eventually(t, func() bool { return jobs(t, db, "payment.refund", "running") == 1 }, 15*time.Second, 20*time.Millisecond,
		"the worker runs the refund")

	worker.signal(t, syscall.SIGTERM)
	require.Eventually(t, func() bool { return status(health+"/readyz") == http.StatusServiceUnavailable }, 5*time.Second, 10*time.Millisecond,
		"unready once told to stop")
	assert.Equal(t, http.StatusOK, status(health+"/healthz"), "alive while it drains")
	time.Sleep(300 * time.Millisecond)
	assert.True(t, worker.running(), "it waits for the running job")
	assert.Empty(t, acct.Refunds(b.paymentRef))

	release()
	assert.Equal(t, 0, worker.exited(t, 20*time.Second), worker.stderr.String())
	assert.Len(t, acct.Refunds(b.paymentRef), 1, "the refund finished before the worker exited")
	assert.Equal(t, 1, jobs(t, db, "payment.refund", "completed"))
}

// TestWorkerCommandLine: -h lists the variables the worker reads; without a database,
// or on one not migrated, it refuses to start and says why.
func TestWorkerCommandLine(t *testing.T) {
	ctx := context.Background()
	var out, errb bytes.Buffer
	require.Equal(t, 0, run(ctx, []string{"-h"}, func(string) string { return "" }, &out, &errb))
	for _, v := range []string{"MATCHPOINT_DATABASE_URL (required)", "MATCHPOINT_HTTP_ADDR", "MATCHPOINT_SHUTDOWN_TIMEOUT", "MATCHPOINT_QUEUE_POLL_ONLY", "MATCHPOINT_SMTP_URL"} {
		assert.Contains(t, out.String(), v)
	}
	assert.Equal(t, 2, run(ctx, []string{"now"}, func(string) string { return "" }, &out, &errb))

	errb.Reset()
	assert.Equal(t, 1, run(ctx, nil, func(string) string { return "" }, &out, &errb))
	assert.Contains(t, errb.String(), "MATCHPOINT_DATABASE_URL is not set")

	errb.Reset()
	db := testDatabase(t)
	env := map[string]string{"MATCHPOINT_DATABASE_URL": db, "MATCHPOINT_HTTP_ADDR": "127.0.0.1:0"}
	assert.Equal(t, 1, run(ctx, nil, func(k string) string { return env[k] }, &out, &errb))
	assert.Contains(t, errb.String(), "the database is not migrated")
}
