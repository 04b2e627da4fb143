package sqlstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/memberd/memberd"
)

const idempotencyCols = `seq, company_id, endpoint, idem_key, fingerprint, token, lease_until, expires_at, status, header, body`

func (t *tx) ReserveIdempotencyKey(ctx context.Context, r *memberd.IdempotencyRecord, now time.Time) (memberd.IdempotencyRecord, bool, error) {
	// Insert unless the key exists; on PostgreSQL a concurrent insert of
	// the key makes this wait for it and then do nothing.
	res, err := t.exec(ctx, `INSERT INTO idempotency_keys (company_id, endpoint, idem_key, fingerprint, token, lease_until, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (company_id, endpoint, idem_key) DO NOTHING`,
		r.CompanyID, r.Endpoint, r.Key, r.Fingerprint, r.Token, ms(r.LeaseUntil), ms(r.ExpiresAt))
	if err != nil {
		return memberd.IdempotencyRecord{}, false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return *r, err == nil, err
	}
	var seq int64
	held, err := scanIdempotency(t.queryRow(ctx, `SELECT `+idempotencyCols+` FROM idempotency_keys
		WHERE company_id = ? AND endpoint = ? AND idem_key = ?`+t.forUpdate(), r.CompanyID, r.Endpoint, r.Key), &seq)
	if err != nil || held.Holds(now) {
		return held, false, err
	}
	_, err = t.exec(ctx, `UPDATE idempotency_keys SET fingerprint = ?, token = ?, lease_until = ?, expires_at = ?,
		status = NULL, header = NULL, body = NULL WHERE seq = ?`,
		r.Fingerprint, r.Token, ms(r.LeaseUntil), ms(r.ExpiresAt), seq)
	return *r, err == nil, err
}

func scanIdempotency(r rowScanner, seq *int64) (memberd.IdempotencyRecord, error) {
	var rec memberd.IdempotencyRecord
	var status *int64
	var header *string
	var body []byte
	err := r.Scan(seq, &rec.CompanyID, &rec.Endpoint, &rec.Key, &rec.Fingerprint, &rec.Token,
		timeCol{&rec.LeaseUntil}, timeCol{&rec.ExpiresAt}, &status, &header, &body)
	if err != nil {
		return rec, notFound(err)
	}
	if status != nil {
		rec.Response = &memberd.StoredResponse{Status: int(*status), Body: body}
		if header != nil {
			err = json.Unmarshal([]byte(*header), &rec.Response.Header)
		}
	}
	return rec, err
}

// heldBy is the condition that r's reservation still holds its key.
const heldBy = ` WHERE company_id = ? AND endpoint = ? AND idem_key = ? AND token = ? AND status IS NULL`

func (t *tx) ExtendIdempotencyLease(ctx context.Context, r *memberd.IdempotencyRecord) error {
	return mustAffect(t.exec(ctx, `UPDATE idempotency_keys SET lease_until = ?`+heldBy,
		ms(r.LeaseUntil), r.CompanyID, r.Endpoint, r.Key, r.Token))
}

func (t *tx) FinishIdempotencyKey(ctx context.Context, r *memberd.IdempotencyRecord) error {
	if r.Response == nil {
		return mustAffect(t.exec(ctx, `DELETE FROM idempotency_keys`+heldBy, r.CompanyID, r.Endpoint, r.Key, r.Token))
	}
	resp := r.Response
	return mustAffect(t.exec(ctx, `UPDATE idempotency_keys SET status = ?, header = ?, body = ?, expires_at = ?`+heldBy,
		resp.Status, jsonText(resp.Header), resp.Body, ms(r.ExpiresAt), r.CompanyID, r.Endpoint, r.Key, r.Token))
}

func (t *tx) DeleteExpiredIdempotencyKeys(ctx context.Context, now time.Time, limit int) (int, error) {
	res, err := t.exec(ctx, `DELETE FROM idempotency_keys WHERE seq IN (
		SELECT seq FROM idempotency_keys WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)`, ms(now), limit)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
