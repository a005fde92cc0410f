-- Club reports: a CSV generated in the background over a range of months, kept with
-- where its generation stands. The months are stored as the date of their first day.
CREATE TABLE reports (
    id          text PRIMARY KEY,
    club_id     text NOT NULL REFERENCES clubs (id) ON DELETE CASCADE,
    kind        text NOT NULL,
    first_month date NOT NULL,
    last_month  date NOT NULL,
    state       text NOT NULL,
    created_at  timestamptz NOT NULL,
    finished_at timestamptz,
    csv         bytea NOT NULL DEFAULT '',
    error       text NOT NULL DEFAULT '',
    CONSTRAINT reports_kind CHECK (kind IN ('revenue', 'occupancy')),
    CONSTRAINT reports_state CHECK (state IN ('pending', 'ready', 'failed')),
    CONSTRAINT reports_months CHECK (extract(day FROM first_month) = 1 AND extract(day FROM last_month) = 1 AND first_month <= last_month)
);

CREATE INDEX reports_club ON reports (club_id, created_at DESC, id COLLATE "C" DESC);
