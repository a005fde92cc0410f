package memory

import (
	"context"
	"time"
)

// MessageSent reports whether the message with key has been recorded as sent.
func (s *Store) MessageSent(ctx context.Context, key string) (bool, error) {
	sent := false
	err := s.read(ctx, func() error {
		_, sent = s.sent[key]
		return nil
	})
	return sent && err == nil, err
}

// RecordMessageSent records that the message with key was sent at and reports whether
// the record is new; a key recorded already keeps its first instant.
func (s *Store) RecordMessageSent(ctx context.Context, key string, at time.Time) (bool, error) {
	fresh := false
	err := s.write(ctx, func(u *undoLog) error {
		if _, seen := s.sent[key]; seen {
			return nil
		}
		put(u, s.sent, key, at.UTC())
		fresh = true
		return nil
	})
	return fresh && err == nil, err
}
