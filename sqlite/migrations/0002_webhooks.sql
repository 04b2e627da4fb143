-- Webhook endpoints, their subscriptions, deliveries and attempts.
-- Delivery and attempt times are real time (Unix ms of the process clock),
-- never a company's test clock, so moving a clock neither skips a retry's
-- backoff nor holds a delivery back.

CREATE TABLE webhooks (
    seq                   INTEGER PRIMARY KEY,
    id                    TEXT NOT NULL UNIQUE,
    company_id            TEXT NOT NULL REFERENCES companies(id),
    resource_id           TEXT NOT NULL,
    child_resource_events INTEGER NOT NULL,
    url                   TEXT NOT NULL,
    api_version           TEXT NOT NULL,
    enabled               INTEGER NOT NULL,
    secret                TEXT NOT NULL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    -- real time of the first failed attempt since the last success
    failing_since         INTEGER
);
CREATE INDEX webhooks_company ON webhooks(company_id, created_at);
CREATE INDEX webhooks_resource ON webhooks(resource_id);

-- The event types an endpoint subscribes to, in the order given.
CREATE TABLE webhook_events (
    webhook_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    position   INTEGER NOT NULL,
    PRIMARY KEY (webhook_id, event_type)
);

CREATE TABLE webhook_deliveries (
    seq             INTEGER PRIMARY KEY,
    webhook_id      TEXT NOT NULL,
    event_seq       INTEGER NOT NULL REFERENCES events(seq),
    resend_of       INTEGER,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- when the delivery is due: 0 for a new one, the backoff for a retry,
    -- the end of the lease while claimed; NULL when done, or while its
    -- endpoint is disabled
    next_attempt_at INTEGER,
    lease           TEXT,
    last_attempt_at INTEGER,
    last_status     INTEGER,
    last_error      TEXT
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at, seq) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries(webhook_id, seq);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries(webhook_id, event_seq);

CREATE TABLE webhook_attempts (
    seq             INTEGER PRIMARY KEY,
    delivery_seq    INTEGER NOT NULL,
    number          INTEGER NOT NULL,
    attempted_at    INTEGER NOT NULL,
    url             TEXT NOT NULL,
    request_headers TEXT NOT NULL,
    response_status INTEGER,
    response_body   TEXT,
    latency_us      INTEGER NOT NULL,
    error           TEXT
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_seq, seq);
