DROP INDEX IF EXISTS api_keys_club;
ALTER TABLE api_keys DROP COLUMN revoked_at;
ALTER TABLE api_keys DROP COLUMN last_used_at;
ALTER TABLE api_keys RENAME COLUMN label TO name;
