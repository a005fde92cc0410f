package opentelemetry

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/matchpoint/matchpoint/domain"
	"github.com/matchpoint/matchpoint/ports"
)

// Attributes the spans carry, when the call names them.
const (
	clubID    = attribute.Key("matchpoint.club.id")
	bookingID = attribute.Key("matchpoint.booking.id")
)

// traced runs fn in a span named name and ends the span with fn's error.
func traced[T any](t *Tracing, ctx context.Context, name string, fn func(context.Context) (T, error), attrs ...attribute.KeyValue) (v T, err error) {
	ctx, span := t.start(ctx, name, attrs...)
	defer func() { End(span, err) }()
	return fn(ctx)
}

// tracedErr is traced for a call that returns an error only.
func tracedErr(t *Tracing, ctx context.Context, name string, fn func(context.Context) error, attrs ...attribute.KeyValue) (err error) {
	ctx, span := t.start(ctx, name, attrs...)
	defer func() { End(span, err) }()
	return fn(ctx)
}

// Store returns next with a span around each call, named "store." and the method:
// "store.WithinTx" around a transaction, the calls made in it its children.
func (t *Tracing) Store(next ports.Store) ports.Store { return &store{t: t, next: next} }

// store is a ports.Store that traces every call of next.
type store struct {
	t    *Tracing
	next ports.Store
}

var _ ports.Store = (*store)(nil)

func (s *store) WithinTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return tracedErr(s.t, ctx, "store.WithinTx", func(ctx context.Context) error { return s.next.WithinTx(ctx, fn) })
}

func (s *store) SaveClub(ctx context.Context, c domain.Club) error {
	return tracedErr(s.t, ctx, "store.SaveClub", func(ctx context.Context) error { return s.next.SaveClub(ctx, c) }, clubID.String(c.ID))
}

func (s *store) GetClub(ctx context.Context, id string) (domain.Club, error) {
	return traced(s.t, ctx, "store.GetClub", func(ctx context.Context) (domain.Club, error) { return s.next.GetClub(ctx, id) }, clubID.String(id))
}

func (s *store) GetClubBySlug(ctx context.Context, slug string) (domain.Club, error) {
	return traced(s.t, ctx, "store.GetClubBySlug", func(ctx context.Context) (domain.Club, error) { return s.next.GetClubBySlug(ctx, slug) })
}

func (s *store) ListClubs(ctx context.Context) ([]domain.Club, error) {
	return traced(s.t, ctx, "store.ListClubs", s.next.ListClubs)
}

func (s *store) SaveCourt(ctx context.Context, c domain.Court) error {
	return tracedErr(s.t, ctx, "store.SaveCourt", func(ctx context.Context) error { return s.next.SaveCourt(ctx, c) }, clubID.String(c.ClubID))
}

func (s *store) GetCourt(ctx context.Context, club, id string) (domain.Court, error) {
	return traced(s.t, ctx, "store.GetCourt", func(ctx context.Context) (domain.Court, error) { return s.next.GetCourt(ctx, club, id) }, clubID.String(club))
}

func (s *store) ListCourts(ctx context.Context, club string) ([]domain.Court, error) {
	return traced(s.t, ctx, "store.ListCourts", func(ctx context.Context) ([]domain.Court, error) { return s.next.ListCourts(ctx, club) }, clubID.String(club))
}

func (s *store) SaveSeason(ctx context.Context, v domain.Season) error {
	return tracedErr(s.t, ctx, "store.SaveSeason", func(ctx context.Context) error { return s.next.SaveSeason(ctx, v) }, clubID.String(v.ClubID))
}

func (s *store) DeleteSeason(ctx context.Context, club, id string) error {
	return tracedErr(s.t, ctx, "store.DeleteSeason", func(ctx context.Context) error { return s.next.DeleteSeason(ctx, club, id) }, clubID.String(club))
}

func (s *store) ListSeasons(ctx context.Context, club string) ([]domain.Season, error) {
	return traced(s.t, ctx, "store.ListSeasons", func(ctx context.Context) ([]domain.Season, error) { return s.next.ListSeasons(ctx, club) }, clubID.String(club))
}

func (s *store) SaveClosure(ctx context.Context, c domain.Closure) error {
	return tracedErr(s.t, ctx, "store.SaveClosure", func(ctx context.Context) error { return s.next.SaveClosure(ctx, c) }, clubID.String(c.ClubID))
}

func (s *store) DeleteClosure(ctx context.Context, club, id string) error {
	return tracedErr(s.t, ctx, "store.DeleteClosure", func(ctx context.Context) error { return s.next.DeleteClosure(ctx, club, id) }, clubID.String(club))
}

func (s *store) ListClosures(ctx context.Context, club string, iv domain.Interval) ([]domain.Closure, error) {
	return traced(s.t, ctx, "store.ListClosures", func(ctx context.Context) ([]domain.Closure, error) { return s.next.ListClosures(ctx, club, iv) }, clubID.String(club))
}

func (s *store) SavePriceRule(ctx context.Context, r domain.PriceRule) error {
	return tracedErr(s.t, ctx, "store.SavePriceRule", func(ctx context.Context) error { return s.next.SavePriceRule(ctx, r) }, clubID.String(r.ClubID))
}

func (s *store) DeletePriceRule(ctx context.Context, club, id string) error {
	return tracedErr(s.t, ctx, "store.DeletePriceRule", func(ctx context.Context) error { return s.next.DeletePriceRule(ctx, club, id) }, clubID.String(club))
}

func (s *store) ListPriceRules(ctx context.Context, club string) ([]domain.PriceRule, error) {
	return traced(s.t, ctx, "store.ListPriceRules", func(ctx context.Context) ([]domain.PriceRule, error) { return s.next.ListPriceRules(ctx, club) }, clubID.String(club))
}

func (s *store) CreateBooking(ctx context.Context, b *domain.Booking, opts ports.CreateBookingOptions) error {
	return tracedErr(s.t, ctx, "store.CreateBooking", func(ctx context.Context) error { return s.next.CreateBooking(ctx, b, opts) },
		clubID.String(b.ClubID()), bookingID.String(b.ID()))
}

func (s *store) GetBooking(ctx context.Context, id string) (*domain.Booking, error) {
	return traced(s.t, ctx, "store.GetBooking", func(ctx context.Context) (*domain.Booking, error) { return s.next.GetBooking(ctx, id) }, bookingID.String(id))
}

func (s *store) UpdateBooking(ctx context.Context, id string, now time.Time, fn func(b *domain.Booking) error) error {
	return tracedErr(s.t, ctx, "store.UpdateBooking", func(ctx context.Context) error { return s.next.UpdateBooking(ctx, id, now, fn) }, bookingID.String(id))
}

func (s *store) FindBookingByIdempotencyKey(ctx context.Context, club, key string) (*domain.Booking, error) {
	return traced(s.t, ctx, "store.FindBookingByIdempotencyKey", func(ctx context.Context) (*domain.Booking, error) {
		return s.next.FindBookingByIdempotencyKey(ctx, club, key)
	}, clubID.String(club))
}

func (s *store) ListOccupancy(ctx context.Context, club string, iv domain.Interval) ([]domain.Occupancy, error) {
	return traced(s.t, ctx, "store.ListOccupancy", func(ctx context.Context) ([]domain.Occupancy, error) { return s.next.ListOccupancy(ctx, club, iv) }, clubID.String(club))
}

func (s *store) ListBookings(ctx context.Context, f ports.BookingFilter) ([]*domain.Booking, error) {
	return traced(s.t, ctx, "store.ListBookings", func(ctx context.Context) ([]*domain.Booking, error) { return s.next.ListBookings(ctx, f) }, clubID.String(f.ClubID))
}

func (s *store) ListExpiredHolds(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return traced(s.t, ctx, "store.ListExpiredHolds", func(ctx context.Context) ([]string, error) { return s.next.ListExpiredHolds(ctx, now, limit) })
}

func (s *store) RecordPaymentEvent(ctx context.Context, provider, eventID string, at time.Time) (bool, error) {
	return traced(s.t, ctx, "store.RecordPaymentEvent", func(ctx context.Context) (bool, error) { return s.next.RecordPaymentEvent(ctx, provider, eventID, at) })
}

func (s *store) SaveAPIKey(ctx context.Context, k ports.APIKey) error {
	return tracedErr(s.t, ctx, "store.SaveAPIKey", func(ctx context.Context) error { return s.next.SaveAPIKey(ctx, k) }, clubID.String(k.ClubID))
}

func (s *store) FindAPIKey(ctx context.Context, hash string) (ports.APIKey, error) {
	return traced(s.t, ctx, "store.FindAPIKey", func(ctx context.Context) (ports.APIKey, error) { return s.next.FindAPIKey(ctx, hash) })
}

func (s *store) ListAPIKeys(ctx context.Context, club string) ([]ports.APIKey, error) {
	return traced(s.t, ctx, "store.ListAPIKeys", func(ctx context.Context) ([]ports.APIKey, error) { return s.next.ListAPIKeys(ctx, club) }, clubID.String(club))
}

func (s *store) RevokeAPIKey(ctx context.Context, club, id string, at time.Time) error {
	return tracedErr(s.t, ctx, "store.RevokeAPIKey", func(ctx context.Context) error { return s.next.RevokeAPIKey(ctx, club, id, at) }, clubID.String(club))
}

func (s *store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	return tracedErr(s.t, ctx, "store.TouchAPIKey", func(ctx context.Context) error { return s.next.TouchAPIKey(ctx, id, at) })
}

func (s *store) SaveReport(ctx context.Context, r ports.Report) error {
	return tracedErr(s.t, ctx, "store.SaveReport", func(ctx context.Context) error { return s.next.SaveReport(ctx, r) }, clubID.String(r.ClubID))
}

func (s *store) GetReport(ctx context.Context, club, id string) (ports.Report, error) {
	return traced(s.t, ctx, "store.GetReport", func(ctx context.Context) (ports.Report, error) { return s.next.GetReport(ctx, club, id) }, clubID.String(club))
}

func (s *store) ListReports(ctx context.Context, club string) ([]ports.Report, error) {
	return traced(s.t, ctx, "store.ListReports", func(ctx context.Context) ([]ports.Report, error) { return s.next.ListReports(ctx, club) }, clubID.String(club))
}

func (s *store) SaveRefund(ctx context.Context, r *domain.Refund) error {
	return tracedErr(s.t, ctx, "store.SaveRefund", func(ctx context.Context) error { return s.next.SaveRefund(ctx, r) }, clubID.String(r.ClubID()), bookingID.String(r.BookingID()))
}

func (s *store) GetRefund(ctx context.Context, id string) (*domain.Refund, error) {
	return traced(s.t, ctx, "store.GetRefund", func(ctx context.Context) (*domain.Refund, error) { return s.next.GetRefund(ctx, id) })
}

func (s *store) UpdateRefund(ctx context.Context, id string, fn func(r *domain.Refund) error) error {
	return tracedErr(s.t, ctx, "store.UpdateRefund", func(ctx context.Context) error { return s.next.UpdateRefund(ctx, id, fn) })
}

func (s *store) ListRefunds(ctx context.Context, f ports.RefundFilter) ([]*domain.Refund, error) {
	return traced(s.t, ctx, "store.ListRefunds", func(ctx context.Context) ([]*domain.Refund, error) { return s.next.ListRefunds(ctx, f) }, clubID.String(f.ClubID))
}

func (s *store) MessageSent(ctx context.Context, key string) (bool, error) {
	return traced(s.t, ctx, "store.MessageSent", func(ctx context.Context) (bool, error) { return s.next.MessageSent(ctx, key) })
}

func (s *store) RecordMessageSent(ctx context.Context, key string, at time.Time) (bool, error) {
	return traced(s.t, ctx, "store.RecordMessageSent", func(ctx context.Context) (bool, error) { return s.next.RecordMessageSent(ctx, key, at) })
}
