-- Messages to customers that have gone out, by their key (ports.MessageKey: kind,
-- booking id and, for a kind that repeats, a sequence), so that a notify job run again
-- does not send its message twice. The row is written right after the mail server
-- accepted the message.
CREATE TABLE sent_messages (
    key     text PRIMARY KEY,
    sent_at timestamptz NOT NULL
);
