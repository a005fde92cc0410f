package postgres

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// MessageSent reports whether the message with key has been recorded as sent.
func (s *Store) MessageSent(ctx context.Context, key string) (bool, error) {
	var sent bool
	err := s.read(ctx, func(ctx context.Context, db bun.IDB) error {
		return db.NewRaw(`SELECT EXISTS (SELECT 1 FROM sent_messages WHERE key = ?)`, key).Scan(ctx, &sent)
	})
	return sent && err == nil, err
}

// RecordMessageSent records that the message with key was sent at and reports whether
// the record is new; a key recorded already keeps its first instant. Of two calls
// racing with one key, the second waits for the first and sees it.
func (s *Store) RecordMessageSent(ctx context.Context, key string, at time.Time) (bool, error) {
	fresh := false
	err := s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewRaw(`INSERT INTO sent_messages (key, sent_at) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`, key, at.UTC()).Exec(ctx)
		if err != nil {
			return err
		}
		n, err := rowsAffected(res)
		fresh = n == 1
		return err
	})
	return fresh && err == nil, err
}
