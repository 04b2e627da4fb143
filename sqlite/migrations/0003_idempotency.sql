-- Idempotency-Key records: the request that first used a key (per company
-- and endpoint) and its response, kept at least 24 hours. Times are real
-- time (Unix ms). While the request runs, status is NULL and token holds the
-- key until lease_until.

CREATE TABLE idempotency_keys (
    seq         INTEGER PRIMARY KEY,
    company_id  TEXT NOT NULL REFERENCES companies(id),
    endpoint    TEXT NOT NULL,
    idem_key    TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    token       TEXT NOT NULL,
    lease_until INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    status      INTEGER,
    header      TEXT,
    body        BLOB,
    UNIQUE (company_id, endpoint, idem_key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys(expires_at);
