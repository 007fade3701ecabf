-- Trunks register with their carrier and present a caller ID.
ALTER TABLE trunks ADD COLUMN register BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE trunks ADD COLUMN register_expires_ns BIGINT NOT NULL DEFAULT 0;
ALTER TABLE trunks ADD COLUMN registrar TEXT NOT NULL DEFAULT '';
ALTER TABLE trunks ADD COLUMN caller_id TEXT NOT NULL DEFAULT '';
ALTER TABLE trunks ADD COLUMN from_domain TEXT NOT NULL DEFAULT '';
