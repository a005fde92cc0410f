-- The schema of Match Point. Ids are text (the app makes them); money is bigint minor
-- units beside its ISO 4217 currency; instants are timestamptz; a booking keeps its
-- interval as a half-open tstzrange.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE clubs (
    id        text PRIMARY KEY,
    slug      text NOT NULL,
    name      text NOT NULL,
    time_zone text NOT NULL,
    currency  text NOT NULL,
    -- the booking policy; durations are Go duration strings ("30m0s")
    policy    jsonb NOT NULL,
    CONSTRAINT clubs_slug_key UNIQUE (slug),
    CONSTRAINT clubs_currency CHECK (currency ~ '^[A-Z]{3}$')
);

CREATE TABLE courts (
    id      text PRIMARY KEY,
    club_id text NOT NULL REFERENCES clubs (id) ON DELETE CASCADE,
    name    text NOT NULL,
    sport   text NOT NULL,
    indoor  boolean NOT NULL DEFAULT false,
    surface text NOT NULL DEFAULT '',
    active  boolean NOT NULL DEFAULT true
);

CREATE INDEX courts_club_name ON courts (club_id, name COLLATE "C", id COLLATE "C");

CREATE TABLE seasons (
    id        text PRIMARY KEY,
    club_id   text NOT NULL REFERENCES clubs (id) ON DELETE CASCADE,
    name      text NOT NULL,
    first_day date NOT NULL,
    last_day  date NOT NULL,
    -- seven entries, Sunday first: null when closed, else {"Open": "08:00", "Close": "01:30"}
    week      jsonb NOT NULL,
    CONSTRAINT seasons_days CHECK (first_day <= last_day),
    CONSTRAINT seasons_week CHECK (jsonb_typeof(week) = 'array' AND jsonb_array_length(week) = 7),
    -- seasons of one club never share a day
    CONSTRAINT seasons_no_overlap EXCLUDE USING gist (club_id WITH =, daterange(first_day, last_day, '[]') WITH &&)
);

CREATE TABLE closures (
    id      text PRIMARY KEY,
    club_id text NOT NULL REFERENCES clubs (id) ON DELETE CASCADE,
    court_id text, -- null closes the whole club
    during  tstzrange NOT NULL,
    reason  text NOT NULL DEFAULT '',
    CONSTRAINT closures_during CHECK (NOT isempty(during) AND NOT lower_inf(during) AND NOT upper_inf(during) AND lower(during) < upper(during))
);

CREATE INDEX closures_club_during ON closures USING gist (club_id, during);

CREATE TABLE price_rules (
    id          text PRIMARY KEY,
    club_id     text NOT NULL REFERENCES clubs (id) ON DELETE CASCADE,
    name        text NOT NULL DEFAULT '',
    -- an empty sport, court, season or category matches any
    sport       text NOT NULL DEFAULT '',
    court_id    text NOT NULL DEFAULT '',
    season_id   text NOT NULL DEFAULT '',
    weekdays    smallint NOT NULL, -- bit d set for time.Weekday d
    window_from smallint NOT NULL, -- minutes after local midnight
    window_to   smallint NOT NULL,
    category    text NOT NULL DEFAULT '',
    priority    integer NOT NULL DEFAULT 0,
    rate_amount bigint NOT NULL,
    currency    text NOT NULL,
    CONSTRAINT price_rules_weekdays CHECK (weekdays BETWEEN 1 AND 127),
    CONSTRAINT price_rules_window CHECK (window_from BETWEEN 0 AND 1439 AND window_to BETWEEN 0 AND 1440 AND window_from <> window_to),
    CONSTRAINT price_rules_category CHECK (category IN ('', 'member', 'guest')),
    CONSTRAINT price_rules_rate CHECK (rate_amount >= 0)
);

CREATE INDEX price_rules_club ON price_rules (club_id, id COLLATE "C");

CREATE TABLE bookings (
    id                text PRIMARY KEY,
    club_id           text NOT NULL REFERENCES clubs (id),
    court_id          text NOT NULL REFERENCES courts (id),
    sport             text NOT NULL,
    customer_name     text NOT NULL,
    customer_email    text NOT NULL,
    customer_phone    text NOT NULL DEFAULT '',
    customer_category text NOT NULL,
    during            tstzrange NOT NULL,
    currency          text NOT NULL, -- of the quote
    quote_total       bigint NOT NULL,
    quote_lines       jsonb NOT NULL,
    status            text NOT NULL,
    hold_expires_at   timestamptz NOT NULL,
    -- set when a new booking took the slot of this pending booking after its hold had
    -- run out: the booking keeps its state (the expiry job ends it) but no longer
    -- takes part in the exclusion constraint
    slot_released     boolean NOT NULL DEFAULT false,
    payment_ref       text NOT NULL DEFAULT '',
    paid_amount       bigint NOT NULL DEFAULT 0,
    paid_currency     text NOT NULL DEFAULT '',
    refund_amount     bigint NOT NULL DEFAULT 0,
    refund_currency   text NOT NULL DEFAULT '',
    token_hash        text NOT NULL DEFAULT '',
    idempotency_key   text NOT NULL DEFAULT '',
    request_hash      text NOT NULL DEFAULT '',
    version           integer NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    CONSTRAINT bookings_status CHECK (status IN ('pending', 'confirmed', 'completed', 'no_show', 'expired', 'cancelled')),
    CONSTRAINT bookings_during CHECK (NOT isempty(during) AND NOT lower_inf(during) AND NOT upper_inf(during) AND lower(during) < upper(during)),
    CONSTRAINT bookings_amounts CHECK (quote_total >= 0 AND paid_amount >= 0 AND refund_amount >= 0),
    CONSTRAINT bookings_version CHECK (version >= 1),
    -- the invariant of the system: two active bookings never overlap on one court
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (court_id WITH =, during WITH &&)
        WHERE (status IN ('pending', 'confirmed') AND NOT slot_released)
);

CREATE UNIQUE INDEX bookings_idempotency_key ON bookings (club_id, idempotency_key) WHERE idempotency_key <> '';
CREATE INDEX bookings_club_during ON bookings USING gist (club_id, during);
CREATE INDEX bookings_club_start ON bookings (club_id, lower(during), id COLLATE "C");
CREATE INDEX bookings_customer ON bookings (club_id, customer_email) WHERE status IN ('pending', 'confirmed');
CREATE INDEX bookings_pending_holds ON bookings (hold_expires_at, id COLLATE "C") WHERE status = 'pending';

CREATE TABLE api_keys (
    id         text PRIMARY KEY,
    club_id    text NOT NULL REFERENCES clubs (id) ON DELETE CASCADE,
    name       text NOT NULL DEFAULT '',
    hash       text NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT api_keys_hash_key UNIQUE (hash)
);

CREATE TABLE payment_events (
    provider     text NOT NULL,
    event_id     text NOT NULL,
    processed_at timestamptz NOT NULL,
    CONSTRAINT payment_events_pkey PRIMARY KEY (provider, event_id)
);
