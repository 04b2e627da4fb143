-- memberd schema for SQLite. Times are Unix milliseconds (UTC); money is an
-- integer count of 10^-8 units (memberd.Money); JSON is stored as text.

CREATE TABLE companies (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    title        TEXT NOT NULL,
    parent_id    TEXT REFERENCES companies(id),
    owner_user_id TEXT NOT NULL,
    route        TEXT NOT NULL UNIQUE,
    description  TEXT NOT NULL DEFAULT '',
    metadata     TEXT,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    clock_offset INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX companies_parent ON companies(parent_id, created_at);

CREATE TABLE api_keys (
    seq         INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    company_id  TEXT NOT NULL REFERENCES companies(id),
    name        TEXT NOT NULL DEFAULT '',
    hash        TEXT NOT NULL UNIQUE,
    permissions TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE users (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    username   TEXT NOT NULL UNIQUE,
    name       TEXT,
    email      TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE members (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    company_id TEXT NOT NULL REFERENCES companies(id),
    user_id    TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    joined_at  INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (company_id, user_id)
);
CREATE INDEX members_company ON members(company_id, created_at);

CREATE TABLE products (
    seq                INTEGER PRIMARY KEY,
    id                 TEXT NOT NULL UNIQUE,
    company_id         TEXT NOT NULL REFERENCES companies(id),
    title              TEXT NOT NULL,
    description        TEXT,
    headline           TEXT,
    route              TEXT NOT NULL,
    visibility         TEXT NOT NULL,
    metadata           TEXT,
    software_licensing INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    deleted_at         INTEGER
);
CREATE INDEX products_company ON products(company_id, created_at);

CREATE TABLE plans (
    seq                 INTEGER PRIMARY KEY,
    id                  TEXT NOT NULL UNIQUE,
    company_id          TEXT NOT NULL REFERENCES companies(id),
    product_id          TEXT NOT NULL REFERENCES products(id),
    title               TEXT,
    description         TEXT,
    internal_notes      TEXT,
    plan_type           TEXT NOT NULL,
    billing_period_days INTEGER NOT NULL DEFAULT 0,
    trial_days          INTEGER NOT NULL DEFAULT 0,
    expiration_days     INTEGER NOT NULL DEFAULT 0,
    initial_price       INTEGER NOT NULL,
    renewal_price       INTEGER NOT NULL,
    currency            TEXT NOT NULL,
    visibility          TEXT NOT NULL,
    release_method      TEXT NOT NULL,
    stock               INTEGER,
    metadata            TEXT,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    deleted_at          INTEGER
);
CREATE INDEX plans_company ON plans(company_id, created_at);

CREATE TABLE promo_codes (
    seq                INTEGER PRIMARY KEY,
    id                 TEXT NOT NULL UNIQUE,
    company_id         TEXT NOT NULL REFERENCES companies(id),
    code               TEXT NOT NULL,
    promo_type         TEXT NOT NULL,
    amount_off         INTEGER NOT NULL,
    currency           TEXT NOT NULL,
    duration           TEXT NOT NULL,
    duration_months    INTEGER NOT NULL DEFAULT 0,
    new_users_only     INTEGER NOT NULL DEFAULT 0,
    one_per_customer   INTEGER NOT NULL DEFAULT 0,
    churned_only       INTEGER NOT NULL DEFAULT 0,
    existing_only      INTEGER NOT NULL DEFAULT 0,
    product_id         TEXT REFERENCES products(id),
    plan_ids           TEXT NOT NULL DEFAULT '[]',
    stock              INTEGER NOT NULL DEFAULT 0,
    unlimited_stock    INTEGER NOT NULL DEFAULT 1,
    uses               INTEGER NOT NULL DEFAULT 0,
    expires_at         INTEGER,
    status             TEXT NOT NULL,
    created_at         INTEGER NOT NULL
);
CREATE INDEX promo_codes_company ON promo_codes(company_id, created_at);
CREATE UNIQUE INDEX promo_codes_code ON promo_codes(company_id, code) WHERE status <> 'archived';

CREATE TABLE payment_methods (
    seq        INTEGER PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    company_id TEXT NOT NULL REFERENCES companies(id),
    user_id    TEXT NOT NULL REFERENCES users(id),
    behavior   TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX payment_methods_user ON payment_methods(company_id, user_id, seq);

CREATE TABLE memberships (
    seq                       INTEGER PRIMARY KEY,
    id                        TEXT NOT NULL UNIQUE,
    company_id                TEXT NOT NULL REFERENCES companies(id),
    user_id                   TEXT NOT NULL REFERENCES users(id),
    member_id                 TEXT NOT NULL REFERENCES members(id),
    product_id                TEXT NOT NULL REFERENCES products(id),
    plan_id                   TEXT NOT NULL REFERENCES plans(id),
    promo_code_id             TEXT REFERENCES promo_codes(id),
    status                    TEXT NOT NULL,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL,
    joined_at                 INTEGER NOT NULL,
    plan_type                 TEXT NOT NULL,
    billing_period_days       INTEGER NOT NULL,
    trial_days                INTEGER NOT NULL,
    expiration_days           INTEGER NOT NULL,
    initial_price             INTEGER NOT NULL,
    renewal_price             INTEGER NOT NULL,
    currency                  TEXT NOT NULL,
    paid_charges              INTEGER NOT NULL DEFAULT 0,
    total_spend               INTEGER NOT NULL DEFAULT 0,
    discount_type             TEXT,
    discount_amount           INTEGER,
    discount_remaining        INTEGER,
    period_start              INTEGER,
    period_end                INTEGER,
    in_trial                  INTEGER NOT NULL DEFAULT 0,
    trial_warning_at          INTEGER,
    expires_at                INTEGER,
    cancel_at_period_end      INTEGER NOT NULL DEFAULT 0,
    canceled_at               INTEGER,
    cancel_option             TEXT,
    cancellation_reason       TEXT,
    collection_paused         INTEGER NOT NULL DEFAULT 0,
    resumes_at                INTEGER,
    open_payment_id           TEXT,
    retry_at                  INTEGER,
    payment_method_id         TEXT,
    license_key               TEXT UNIQUE,
    metadata                  TEXT,
    checkout_configuration_id TEXT,
    resynced_at               INTEGER,
    due_at                    INTEGER
);
CREATE INDEX memberships_company_created ON memberships(company_id, created_at, seq);
CREATE INDEX memberships_company_status ON memberships(company_id, status, seq);
CREATE INDEX memberships_company_user ON memberships(company_id, user_id);
CREATE INDEX memberships_plan ON memberships(plan_id, status);
CREATE INDEX memberships_product ON memberships(product_id, status);
CREATE INDEX memberships_member ON memberships(member_id);
CREATE INDEX memberships_promo_user ON memberships(promo_code_id, user_id) WHERE promo_code_id IS NOT NULL;
CREATE INDEX memberships_company_due ON memberships(company_id, due_at) WHERE due_at IS NOT NULL;
CREATE INDEX memberships_due ON memberships(due_at) WHERE due_at IS NOT NULL;

CREATE TABLE payments (
    seq               INTEGER PRIMARY KEY,
    id                TEXT NOT NULL UNIQUE,
    company_id        TEXT NOT NULL REFERENCES companies(id),
    membership_id     TEXT NOT NULL REFERENCES memberships(id),
    user_id           TEXT NOT NULL,
    member_id         TEXT NOT NULL,
    plan_id           TEXT NOT NULL,
    product_id        TEXT NOT NULL,
    promo_code_id     TEXT,
    payment_method_id TEXT,
    status            TEXT NOT NULL,
    substatus         TEXT NOT NULL,
    billing_reason    TEXT NOT NULL,
    currency          TEXT NOT NULL,
    subtotal          INTEGER NOT NULL,
    total             INTEGER NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    paid_at           INTEGER,
    last_attempt_at   INTEGER,
    next_attempt_at   INTEGER,
    payments_failed   INTEGER NOT NULL DEFAULT 0,
    failure_message   TEXT
);
CREATE INDEX payments_company_created ON payments(company_id, created_at, seq);
CREATE INDEX payments_membership ON payments(membership_id, seq);

CREATE TABLE events (
    seq           INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE,
    company_id    TEXT NOT NULL,
    type          TEXT NOT NULL,
    object_id     TEXT NOT NULL,
    membership_id TEXT,
    data          TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX events_company ON events(company_id, seq);
CREATE INDEX events_membership ON events(membership_id, seq);
