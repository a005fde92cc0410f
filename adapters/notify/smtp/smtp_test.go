package smtp_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the club's zone must not depend on the host

	ics "github.com/arran4/golang-ical"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/matchpoint/matchpoint/adapters/cache/bigcache"
	"github.com/matchpoint/matchpoint/adapters/memory"
	"github.com/matchpoint/matchpoint/adapters/notify/smtp"
	"github.com/matchpoint/matchpoint/adapters/notify/smtp/mailpittest"
	"github.com/matchpoint/matchpoint/adapters/payments/sandbox"
	"github.com/matchpoint/matchpoint/adapters/queue/inproc"
	"github.com/matchpoint/matchpoint/adapters/system"
	"github.com/matchpoint/matchpoint/app"
	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
	"github.com/matchpoint/matchpoint/ports/clocktest"
)

const (
	from     = "Match Point <bookings@club.example>"
	clubName = `Smash & "Lob" <Padel>` // names may hold anything; the HTML part escapes them
	zone     = "Europe/Madrid"
	customer = "Ana <Pérez>"
	email    = "ana@example.com"
)

var discard = slog.New(slog.DiscardHandler)

// booked is a confirmed booking made through the use cases, whose messages go out by
// SMTP: Ana's 90 minutes on Court 1 at 10:00 on Wednesday 11 March 2026 in Madrid
// (09:00 UTC; Spain keeps winter time until 29 March).
type booked struct {
	app     *app.App
	booking *domain.Booking
	start   time.Time
	end     time.Time
}

// book runs the use cases over the memory adapters with n as their notifier, sets up
// a club, books and pays; the notify jobs are not run: send runs them.
func book(t *testing.T, n ports.Notifier) booked {
	t.Helper()
	ctx := context.Background()
	clock := clocktest.New(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	cache, err := bigcache.New(bigcache.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = cache.Close() })
	gw, err := sandbox.New(sandbox.Config{BaseURL: srv.URL, Secret: "a sandbox secret of the smtp tests", Clock: clock, Logger: discard})
	require.NoError(t, err)
	mp, err := app.New(app.Deps{
		Store: memory.New(), Cache: cache, Gateways: ports.OneGateway(gw), Jobs: inproc.New(inproc.Config{Clock: clock, Logger: discard}),
		Notifier: n, Clock: clock, IDs: system.NewIDs(), Reporter: system.NewReporter(discard), Logger: discard,
	}, app.Config{TokenSecret: []byte("the smtp tests' token secret, 32+ bytes")})
	require.NoError(t, err)
	mux.Handle("/sandbox/", gw.Handler())
	mux.HandleFunc("POST /v1/webhooks/sandbox", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err == nil {
			_, err = mp.Payments.HandleWebhook(r.Context(), sandbox.Provider, r.Header, body)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})

	created, err := mp.Admin.CreateClub(ctx, app.CreateClubCommand{Slug: "smash", Name: clubName, Zone: zone, Currency: "EUR", Policy: domain.DefaultPolicy()})
	require.NoError(t, err)
	club := created.Club
	court, err := mp.Admin.SaveCourt(ctx, club, domain.Court{Name: "Court 1", Sport: domain.Padel, Active: true})
	require.NoError(t, err)
	season := domain.Season{Name: "2026", From: domain.MustDate("2026-01-01"), To: domain.MustDate("2026-12-31")}
	for wd := range season.Week {
		season.Week[wd] = &domain.Hours{Open: domain.MustClock("08:00"), Close: domain.MustClock("23:00")}
	}
	_, err = mp.Admin.SaveSeason(ctx, club, season)
	require.NoError(t, err)
	_, err = mp.Admin.SavePriceRule(ctx, club, domain.PriceRule{
		Sport: domain.Padel, Weekdays: domain.EveryDay, Priority: 1,
		Window: domain.Window{From: domain.MustClock("08:00"), To: domain.MustClock("23:00")},
		Rate:   domain.NewMoney(1000, club.Currency),
	})
	require.NoError(t, err)

	start := time.Date(2026, 3, 11, 9, 0, 0, 0, time.UTC)
	res, err := mp.Bookings.Create(ctx, app.CreateBookingCommand{
		ClubSlug: "smash", CourtID: court.ID, Start: start, Duration: 90 * time.Minute,
		Customer: app.CustomerInput{Name: customer, Email: email},
	})
	require.NoError(t, err)
	paid, err := http.Post(res.CheckoutURL+"/pay", "", nil)
	require.NoError(t, err)
	_ = paid.Body.Close()
	got, err := mp.Bookings.Get(ctx, res.Booking.ID(), res.AccessToken)
	require.NoError(t, err)
	require.Equal(t, domain.StatusConfirmed, got.Booking.Status())
	return booked{app: mp, booking: got.Booking, start: start, end: start.Add(90 * time.Minute)}
}

// send runs the notify job of a message kind, as the queue would.
func (b booked) send(ctx context.Context, kind ports.MessageKind) error {
	raw, err := json.Marshal(app.NotifyArgs{BookingID: b.booking.ID(), Message: kind})
	if err != nil {
		return err
	}
	return b.app.Workers().Work(ctx, ports.RawJob{ID: "1", Kind: app.KindNotify, Args: raw, Attempt: 1})
}

// newNotifier returns a notifier that sends to mailpit.
func newNotifier(t *testing.T, url string) *smtp.Notifier {
	t.Helper()
	n, err := smtp.New(smtp.Config{URL: url, From: from, HELO: "matchpoint.test", Timeout: 5 * time.Second})
	require.NoError(t, err)
	return n
}

// received returns the messages mailpit holds with a Message-ID, oldest first.
func received(t *testing.T, mp *mailpittest.Server, messageID string) []mailpittest.Message {
	t.Helper()
	var out []mailpittest.Message
	list := mp.Messages(t)
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].MessageID == messageID {
			out = append(out, mp.Message(t, list[i].ID))
		}
	}
	return out
}

func TestEveryMessageKindArrivesWithBothPartsAndTheClubsTime(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t)
	b := book(t, newNotifier(t, mp.SMTPURL()))
	const at = "Wednesday 11 March 2026, 10:00–11:30 (Europe/Madrid)"
	const escapedClub = "Smash &amp; &#34;Lob&#34; &lt;Padel&gt;"

	for _, kind := range []ports.MessageKind{
		ports.MessageConfirmation, ports.MessageCancellation, ports.MessageExpiry,
		ports.MessageReminder, ports.MessageRefund, ports.MessageRefundFailed,
	} {
		t.Run(string(kind), func(t *testing.T) {
			require.NoError(t, b.send(context.Background(), kind))
			got := received(t, mp, string(kind)+"."+b.booking.ID()+"@club.example")
			require.Len(t, got, 1, "one %s message, known by its Message-ID", kind)
			m := got[0]

			require.Len(t, m.To, 1)
			assert.Equal(t, email, m.To[0].Address)
			assert.Equal(t, "bookings@club.example", m.From.Address)
			assert.Equal(t, "Match Point", m.From.Name)
			assert.True(t, strings.HasPrefix(m.Subject, clubName+": "), "subject %q", m.Subject)

			assert.Contains(t, m.Text, "Hello "+customer+",")
			assert.Contains(t, m.Text, "Court 1 on "+at)
			assert.Contains(t, m.Text, clubName)
			assert.Contains(t, m.HTML, "Hello Ana &lt;Pérez&gt;,")
			assert.Contains(t, m.HTML, "Court 1 on "+at)
			assert.Contains(t, m.HTML, escapedClub)
			assert.NotContains(t, m.HTML, "<Padel>")
			assert.Contains(t, m.Headers["Content-Type"][0], "multipart/")

			if kind != ports.MessageConfirmation {
				assert.Empty(t, m.Attachments)
				return
			}
			require.Len(t, m.Attachments, 1)
			att := m.Attachments[0]
			assert.Equal(t, "booking.ics", att.FileName)
			assert.Equal(t, "text/calendar", att.ContentType)
			cal, err := ics.ParseCalendar(bytes.NewReader(att.Data))
			require.NoError(t, err)
			require.Len(t, cal.Events(), 1)
			ev := cal.Events()[0]
			assert.Equal(t, b.booking.ID()+"@matchpoint", ev.Id())
			start, err := ev.GetStartAt()
			require.NoError(t, err)
			end, err := ev.GetEndAt()
			require.NoError(t, err)
			assert.True(t, start.Equal(b.start), "start %s, want %s", start, b.start)
			assert.True(t, end.Equal(b.end), "end %s, want %s", end, b.end)
			assert.Equal(t, zone, start.Location().String())
			assert.Equal(t, "10:00", start.Format("15:04"), "a civil time at the club")
			assert.Equal(t, clubName, ev.GetProperty(ics.ComponentPropertyLocation).Value)
			assert.Equal(t, "CONFIRMED", ev.GetProperty(ics.ComponentPropertyStatus).Value)
			require.Len(t, cal.Timezones(), 1)
			tz := cal.Timezones()[0]
			assert.Equal(t, zone, tz.GetProperty(ics.ComponentPropertyTzid).Value)
			require.Len(t, tz.Components, 1, "one observance: the event is in winter time")
			std, ok := tz.Components[0].(*ics.Standard)
			require.True(t, ok, "winter time is STANDARD: %T", tz.Components[0])
			assert.Equal(t, "+0100", std.GetProperty(ics.ComponentProperty(ics.PropertyTzoffsetto)).Value)
			assert.Equal(t, "+0200", std.GetProperty(ics.ComponentProperty(ics.PropertyTzoffsetfrom)).Value)
			assert.Equal(t, "20251026T030000", std.GetProperty(ics.ComponentPropertyDtStart).Value, "since summer time ended, in summer time")
		})
	}
}

func TestRawMessageIsMultipartWithTheCalendarAsPublish(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t)
	b := book(t, newNotifier(t, mp.SMTPURL()))
	require.NoError(t, b.send(context.Background(), ports.MessageConfirmation))
	list := mp.Messages(t)
	require.Len(t, list, 1)
	raw := string(mp.Raw(t, list[0].ID))
	assert.Contains(t, raw, "Content-Type: multipart/mixed")
	assert.Contains(t, raw, "Content-Type: multipart/alternative")
	assert.Contains(t, raw, "Content-Type: text/plain; charset=UTF-8")
	assert.Contains(t, raw, "Content-Type: text/html; charset=UTF-8")
	assert.Contains(t, raw, `Content-Type: text/calendar; charset=utf-8; method=PUBLISH; name="booking.ics"`)
	assert.Less(t, strings.Index(raw, "text/plain"), strings.Index(raw, "text/html"), "plain text first: the last alternative is the preferred one")
}

// The notifier itself sends what it is given: one message sent twice arrives twice,
// under one Message-ID made of the message's key, so that the copy can be recognised.
func TestSendingAgainRepeatsTheMessageID(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t)
	n := newNotifier(t, mp.SMTPURL())
	msg := func(kind ports.MessageKind, seq string) ports.Message {
		return ports.Message{Kind: kind, BookingID: "b-1", Seq: seq, To: email, Subject: "About your game", Text: "See you on court."}
	}
	for _, m := range []ports.Message{
		msg(ports.MessageConfirmation, ""), msg(ports.MessageConfirmation, ""), msg(ports.MessageReminder, ""),
		msg(ports.MessageRefund, "event:evt_1"), msg(ports.MessageRefund, "event:evt_2"), msg(ports.MessageRefund, "event:evt_1"),
	} {
		require.NoError(t, n.Send(context.Background(), m))
	}
	assert.Len(t, received(t, mp, "confirmation.b-1@club.example"), 2)
	assert.Len(t, received(t, mp, "reminder.b-1@club.example"), 1)
	assert.Len(t, received(t, mp, "refund.b-1.event=3Aevt_1@club.example"), 2, "the same refund's message sent again")
	assert.Len(t, received(t, mp, "refund.b-1.event=3Aevt_2@club.example"), 1, "another refund's")
}

// Through the use cases, a notify job run again finds its message recorded as sent and
// sends no second email.
func TestANotifyJobRunAgainSendsNoSecondEmail(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t)
	b := book(t, newNotifier(t, mp.SMTPURL()))
	require.NoError(t, b.send(context.Background(), ports.MessageConfirmation))
	require.NoError(t, b.send(context.Background(), ports.MessageConfirmation))
	require.NoError(t, b.send(context.Background(), ports.MessageReminder))
	assert.Len(t, received(t, mp, "confirmation."+b.booking.ID()+"@club.example"), 1)
	assert.Len(t, received(t, mp, "reminder."+b.booking.ID()+"@club.example"), 1)
}

func TestRefusedRecipientIsInvalid(t *testing.T) {
	t.Parallel()
	mp := mailpittest.StartWith(t, mailpittest.Options{AllowedRecipients: `@club\.example$`})
	n := newNotifier(t, mp.SMTPURL())
	err := n.Send(context.Background(), ports.Message{Kind: ports.MessageReminder, BookingID: "b1", To: email, Subject: "s", Text: "t"})
	require.Error(t, err)
	assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), "%v", err)
	assert.Contains(t, err.Error(), "550")
	assert.Empty(t, mp.Messages(t))
}

func TestNothingListeningIsUnavailable(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())

	n := newNotifier(t, "smtp://"+addr+"?starttls=off")
	err = n.Send(context.Background(), ports.Message{Kind: ports.MessageReminder, BookingID: "b1", To: email, Text: "t"})
	require.Error(t, err)
	assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "%v", err)
}

// scripted runs an SMTP server on a loopback port that answers the greeting, EHLO and
// MAIL FROM, then answers RCPT TO with rcptReply; an empty greeting never greets.
func scripted(t *testing.T, greeting, rcptReply string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if greeting == "" {
					_, _ = io.Copy(io.Discard, c) // a server that hangs
					return
				}
				w := bufio.NewWriter(c)
				say := func(s string) { _, _ = w.WriteString(s + "\r\n"); _ = w.Flush() }
				say(greeting)
				r := bufio.NewScanner(c)
				for r.Scan() {
					cmd := strings.ToUpper(r.Text())
					switch {
					case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
						say("250 scripted")
					case strings.HasPrefix(cmd, "RCPT"):
						say(rcptReply)
					case strings.HasPrefix(cmd, "QUIT"):
						say("221 bye")
						return
					default:
						say("250 ok")
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

func TestTemporaryRejectionIsUnavailable(t *testing.T) {
	t.Parallel()
	addr := scripted(t, "220 scripted ESMTP", "451 4.3.0 try again later")
	n := newNotifier(t, "smtp://"+addr+"?starttls=off")
	err := n.Send(context.Background(), ports.Message{Kind: ports.MessageReminder, BookingID: "b1", To: email, Text: "t"})
	require.Error(t, err)
	assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "%v", err)
	assert.Contains(t, err.Error(), "451")
}

func TestRequiredStartTLSRefusesAServerWithoutIt(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t)
	n := newNotifier(t, "smtp://"+mp.SMTPAddr()) // starttls=required is the default
	err := n.Send(context.Background(), ports.Message{Kind: ports.MessageReminder, BookingID: "b1", To: email, Text: "t"})
	require.Error(t, err)
	assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "%v", err)
	assert.Contains(t, err.Error(), "STARTTLS")
	assert.Empty(t, mp.Messages(t))

	// Opportunistic sends in the clear to a server that offers no STARTTLS.
	n = newNotifier(t, "smtp://"+mp.SMTPAddr()+"?starttls=opportunistic")
	require.NoError(t, n.Send(context.Background(), ports.Message{Kind: ports.MessageReminder, BookingID: "b1", To: email, Text: "t"}))
	assert.Len(t, mp.Messages(t), 1)
}

func TestCancelledContextReturnsPromptly(t *testing.T) {
	t.Parallel()
	m := ports.Message{Kind: ports.MessageReminder, BookingID: "b1", To: email, Text: "t"}

	t.Run("before sending", func(t *testing.T) {
		t.Parallel()
		mp := mailpittest.Start(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := newNotifier(t, mp.SMTPURL()).Send(ctx, m)
		assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "%v", err)
		assert.ErrorIs(t, err, context.Canceled)
		assert.Empty(t, mp.Messages(t))
	})
	t.Run("while the server says nothing", func(t *testing.T) {
		t.Parallel()
		addr := scripted(t, "", "")
		n := newNotifier(t, "smtp://"+addr+"?starttls=off") // its Timeout is 5s
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		began := time.Now()
		err := n.Send(ctx, m)
		assert.Less(t, time.Since(began), 2*time.Second, "Send waited for the timeout, not for ctx")
		assert.Equal(t, domain.KindUnavailable, domain.ErrorKind(err), "%v", err)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

func TestMessageWithoutRecipientOrTextIsInvalid(t *testing.T) {
	t.Parallel()
	n := newNotifier(t, "smtp://127.0.0.1:1?starttls=off") // never reached
	for name, m := range map[string]ports.Message{
		"no recipient":  {Kind: ports.MessageReminder, BookingID: "b1", Text: "t"},
		"bad recipient": {Kind: ports.MessageReminder, BookingID: "b1", To: "not an address", Text: "t"},
		"no text":       {Kind: ports.MessageReminder, BookingID: "b1", To: email, HTML: "<p>t</p>"},
	} {
		err := n.Send(context.Background(), m)
		assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), "%s: %v", name, err)
	}
}

func TestNewChecksTheConfig(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct {
		cfg  smtp.Config
		want string // in the error; empty means valid
	}{
		"plain":             {smtp.Config{URL: "smtp://mail.example:587", From: from}, ""},
		"implicit TLS":      {smtp.Config{URL: "smtps://user:p%40ss@mail.example", From: "a@b.example"}, ""},
		"login":             {smtp.Config{URL: "smtp://user:pw@mail.example?starttls=opportunistic&auth=login", From: from}, ""},
		"no URL":            {smtp.Config{From: from}, "Config.URL is required"},
		"no From":           {smtp.Config{URL: "smtp://mail.example"}, "Config.From is required"},
		"bad From":          {smtp.Config{URL: "smtp://mail.example", From: "bookings"}, "Config.From"},
		"scheme":            {smtp.Config{URL: "http://mail.example", From: from}, "smtp or smtps"},
		"no host":           {smtp.Config{URL: "smtp://:25", From: from}, "no host"},
		"bad port":          {smtp.Config{URL: "smtp://mail.example:99999", From: from}, "not a TCP port"},
		"path":              {smtp.Config{URL: "smtp://mail.example/x", From: from}, "no path"},
		"starttls value":    {smtp.Config{URL: "smtp://mail.example?starttls=maybe", From: from}, "starttls must be"},
		"starttls on smtps": {smtp.Config{URL: "smtps://mail.example?starttls=off", From: from}, "starttls is for smtp://"},
		"auth without user": {smtp.Config{URL: "smtp://mail.example?auth=plain", From: from}, "without a user"},
		"unknown parameter": {smtp.Config{URL: "smtp://mail.example?tls=1", From: from}, `unknown parameter "tls"`},
		"HELO":              {smtp.Config{URL: "smtp://mail.example", From: from, HELO: "two words"}, "Config.HELO"},
		"password hidden":   {smtp.Config{URL: "ftp://user:secret@mail.example", From: from}, "xxxxx"},
	} {
		_, err := smtp.New(c.cfg)
		if c.want == "" {
			assert.NoError(t, err, name)
			continue
		}
		require.Error(t, err, name)
		assert.Equal(t, domain.KindInvalid, domain.ErrorKind(err), name)
		assert.Contains(t, err.Error(), c.want, name)
		assert.NotContains(t, err.Error(), "secret", name)
	}
}
