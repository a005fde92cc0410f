-- Admin API keys carry a label saying what they are for, remember when they were last
-- used (to the minute or so: see ports.APIKeys.TouchAPIKey) and can be revoked. A
-- revoked key stays listed so that an operator can see what it was.
ALTER TABLE api_keys RENAME COLUMN name TO label;
ALTER TABLE api_keys ADD COLUMN last_used_at timestamptz;
ALTER TABLE api_keys ADD COLUMN revoked_at timestamptz;
CREATE INDEX api_keys_club ON api_keys (club_id, created_at, id COLLATE "C");
