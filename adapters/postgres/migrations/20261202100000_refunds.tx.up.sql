-- Refunds owed to customers, stored with the booking change that owes them and kept
-- until the provider has given the money back (ports.Refunds). An owed refund is due
-- at next_attempt_at; the sweep reads owed refunds by that time.
CREATE TABLE refunds (
    id                 text PRIMARY KEY,
    club_id            text NOT NULL REFERENCES clubs (id) ON DELETE CASCADE,
    booking_id         text NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
    gateway            text NOT NULL,
    payment_ref        text NOT NULL DEFAULT '',
    amount             bigint NOT NULL CHECK (amount > 0),
    currency           text NOT NULL,
    reason             text NOT NULL DEFAULT '',
    idempotency_key    text NOT NULL,
    state              text NOT NULL CHECK (state IN ('owed', 'issued', 'attention')),
    attempts           integer NOT NULL DEFAULT 0,
    last_error         text NOT NULL DEFAULT '',
    next_attempt_at    timestamptz,
    provider_refund_id text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    CONSTRAINT refunds_club_key UNIQUE (club_id, idempotency_key),
    CONSTRAINT refunds_owed_due CHECK (state <> 'owed' OR next_attempt_at IS NOT NULL)
);

CREATE INDEX refunds_due ON refunds (state, next_attempt_at, id COLLATE "C");
CREATE INDEX refunds_club_newest ON refunds (club_id, created_at DESC, id COLLATE "C" DESC);
