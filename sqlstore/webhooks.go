package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"time"

	"github.com/memberd/memberd"
)

// Webhook endpoints, their deliveries and attempts.
//
// A delivery's next_attempt_at is the one column the dispatcher polls: 0
// for a new delivery (due at once, whatever any clock says), the backoff
// instant for a retry, the end of the lease while a node holds it, NULL
// when it is done or its endpoint is disabled.

const webhookCols = `w.seq, w.id, w.company_id, w.resource_id, w.child_resource_events, w.url, w.api_version, w.enabled,
	w.secret, w.created_at, w.updated_at`

func scanWebhook(r rowScanner, extra ...any) (memberd.Webhook, error) {
	var w memberd.Webhook
	err := r.Scan(append([]any{&w.Seq, &w.ID, &w.CompanyID, &w.ResourceID, boolCol{&w.ChildResourceEvents}, &w.URL, &w.APIVersion,
		boolCol{&w.Enabled}, &w.Secret, timeCol{&w.CreatedAt}, timeCol{&w.UpdatedAt}}, extra...)...)
	return w, notFound(err)
}

func (t *tx) InsertWebhook(ctx context.Context, w *memberd.Webhook) error {
	err := t.insert(ctx, &w.Seq, `INSERT INTO webhooks (id, company_id, resource_id, child_resource_events, url, api_version, enabled, secret, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		w.ID, w.CompanyID, w.ResourceID, w.ChildResourceEvents, w.URL, w.APIVersion, w.Enabled, w.Secret, ms(w.CreatedAt), ms(w.UpdatedAt))
	if err != nil {
		return err
	}
	return t.saveSubscriptions(ctx, w)
}

// saveSubscriptions replaces the endpoint's event types.
func (t *tx) saveSubscriptions(ctx context.Context, w *memberd.Webhook) error {
	if _, err := t.exec(ctx, `DELETE FROM webhook_events WHERE webhook_id = ?`, w.ID); err != nil || len(w.Events) == 0 {
		return err
	}
	rows := make([][]any, len(w.Events))
	for i, e := range w.Events {
		rows[i] = []any{w.ID, string(e), i}
	}
	return t.insertMany(ctx, `INSERT INTO webhook_events (webhook_id, event_type, position) VALUES `, 3, "", rows)
}

// inList returns "?, ?, ..." for vals and the arguments, padded to a power
// of two by repeating the last value, so that lists of any length make only
// a few distinct statements (they are prepared and cached).
func inList(vals []any) (string, []any) {
	n := 1
	for n < len(vals) {
		n *= 2
	}
	for len(vals) < n {
		vals = append(vals, vals[len(vals)-1])
	}
	return placeholders(n), vals
}

// loadSubscriptions fills in the endpoints' event types.
func (t *tx) loadSubscriptions(ctx context.Context, ws []memberd.Webhook) error {
	if len(ws) == 0 {
		return nil
	}
	byID := make(map[string]*memberd.Webhook, len(ws))
	ids := make([]any, len(ws))
	for i := range ws {
		ws[i].Events = []memberd.EventType{}
		byID[ws[i].ID] = &ws[i]
		ids[i] = ws[i].ID
	}
	list, args := inList(ids)
	rows, err := t.query(ctx, `SELECT webhook_id, event_type FROM webhook_events WHERE webhook_id IN (`+list+`)
		ORDER BY webhook_id, position`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, typ string
		if err := rows.Scan(&id, &typ); err != nil {
			return err
		}
		byID[id].Events = append(byID[id].Events, memberd.EventType(typ))
	}
	return rows.Err()
}

func (t *tx) Webhook(ctx context.Context, companyID, id string) (memberd.Webhook, error) {
	w, err := scanWebhook(t.queryRow(ctx, `SELECT `+webhookCols+` FROM webhooks w WHERE w.company_id = ? AND w.id = ?`, companyID, id))
	if err != nil {
		return w, err
	}
	ws := []memberd.Webhook{w}
	err = t.loadSubscriptions(ctx, ws)
	return ws[0], err
}

func (t *tx) UpdateWebhook(ctx context.Context, w *memberd.Webhook) error {
	err := mustAffect(t.exec(ctx, `UPDATE webhooks SET child_resource_events = ?, url = ?, api_version = ?, enabled = ?, secret = ?, updated_at = ?
		WHERE company_id = ? AND id = ?`, w.ChildResourceEvents, w.URL, w.APIVersion, w.Enabled, w.Secret, ms(w.UpdatedAt), w.CompanyID, w.ID))
	if err != nil {
		return err
	}
	if err := t.saveSubscriptions(ctx, w); err != nil {
		return err
	}
	if !w.Enabled {
		return t.parkDeliveries(ctx, w.ID)
	}
	_, err = t.exec(ctx, `UPDATE webhook_deliveries SET next_attempt_at = 0
		WHERE webhook_id = ? AND status = ? AND next_attempt_at IS NULL`, w.ID, memberd.DeliveryPending)
	return err
}

// parkDeliveries holds a disabled endpoint's pending deliveries.
func (t *tx) parkDeliveries(ctx context.Context, webhookID string) error {
	_, err := t.exec(ctx, `UPDATE webhook_deliveries SET next_attempt_at = NULL WHERE webhook_id = ? AND status = ?`,
		webhookID, memberd.DeliveryPending)
	return err
}

func (t *tx) DeleteWebhook(ctx context.Context, companyID, id string) error {
	if err := mustAffect(t.exec(ctx, `DELETE FROM webhooks WHERE company_id = ? AND id = ?`, companyID, id)); err != nil {
		return err
	}
	for _, q := range []string{
		`DELETE FROM webhook_attempts WHERE delivery_seq IN (SELECT seq FROM webhook_deliveries WHERE webhook_id = ?)`,
		`DELETE FROM webhook_deliveries WHERE webhook_id = ?`,
		`DELETE FROM webhook_events WHERE webhook_id = ?`,
	} {
		if _, err := t.exec(ctx, q, id); err != nil {
			return err
		}
	}
	return nil
}

var webhookSort = map[string]sortKey{"": {"w.created_at", "int"}, "created_at": {"w.created_at", "int"}}

func (t *tx) ListWebhooks(ctx context.Context, companyID string, p memberd.PageRequest) (memberd.Page[memberd.Webhook], error) {
	l := listQuery{cols: webhookCols, from: "FROM webhooks w", seq: "w.seq"}
	l.filter("w.company_id = ?", companyID)
	page, err := listPage(ctx, t, l, webhookSort[p.Order], p, func(rows *sql.Rows, extra ...any) (memberd.Webhook, error) {
		return scanWebhook(rows, extra...)
	})
	if err != nil {
		return page, err
	}
	return page, t.loadSubscriptions(ctx, page.Items)
}

// fanOut creates a delivery of each stored event to every enabled endpoint
// subscribed to its type whose resource is the event's company or product,
// or, for endpoints taking child resources' events, its parent company.
// Statements take 64 events, or a power of two for the rest, as insertMany.
func (t *tx) fanOut(ctx context.Context, evs []memberd.Event) error {
	if ok, err := t.anyWebhooks(ctx, evs); err != nil || !ok {
		return err
	}
	for len(evs) > 0 {
		n := 64
		for n > len(evs) {
			n /= 2
		}
		args := make([]any, 0, n+3)
		for _, e := range evs[:n] {
			args = append(args, e.ID)
		}
		_, err := t.exec(ctx, `INSERT INTO webhook_deliveries (webhook_id, event_seq, status, attempts, next_attempt_at)
			SELECT w.id, e.seq, '`+string(memberd.DeliveryPending)+`', 0, 0 FROM events e, webhooks w
			WHERE e.id IN (`+placeholders(n)+`) AND w.enabled = ?
			AND ((w.resource_id IN (e.company_id, (SELECT m.product_id FROM memberships m WHERE m.id = e.membership_id)) AND w.child_resource_events = ?)
				OR (w.resource_id = (SELECT c.parent_id FROM companies c WHERE c.id = e.company_id) AND w.child_resource_events = ?))
			AND EXISTS (SELECT 1 FROM webhook_events s WHERE s.webhook_id = w.id AND s.event_type = e.type)
			ORDER BY e.seq, w.seq`, append(args, true, false, true)...)
		if err != nil {
			return err
		}
		evs = evs[n:]
	}
	return nil
}

// anyWebhooks reports whether the events' companies, or their parents,
// have an enabled endpoint: most have none, and then there is nothing to
// fan out.
func (t *tx) anyWebhooks(ctx context.Context, evs []memberd.Event) (bool, error) {
	var companies []any
	seen := map[string]bool{}
	for _, e := range evs {
		if !seen[e.CompanyID] {
			seen[e.CompanyID] = true
			companies = append(companies, e.CompanyID)
		}
	}
	if len(companies) == 0 {
		return false, nil
	}
	list, args := inList(companies)
	var one int
	err := t.queryRow(ctx, `SELECT 1 FROM webhooks w WHERE w.enabled = ? AND (w.company_id IN (`+list+`)
		OR w.company_id IN (SELECT c.parent_id FROM companies c WHERE c.id IN (`+list+`))) LIMIT 1`,
		append(append([]any{true}, args...), args...)...).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, err
}

const deliveryCols = `d.seq, d.webhook_id, d.resend_of, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at, d.last_status, d.last_error,
	e.seq, e.id, e.company_id, e.type, e.object_id, e.membership_id, e.data, e.created_at`

const deliveryFrom = `FROM webhook_deliveries d JOIN events e ON e.seq = d.event_seq`

func scanDelivery(r rowScanner, extra ...any) (memberd.Delivery, error) {
	var d memberd.Delivery
	var resendOf sql.NullInt64
	var status, typ string
	e := &d.Event
	err := r.Scan(append([]any{&d.Seq, &d.WebhookID, &resendOf, &status, &d.Attempts, timePtrCol{&d.NextAttemptAt}, timePtrCol{&d.LastAttemptAt},
		intCol{&d.LastStatus}, strCol{&d.LastError},
		&e.Seq, &e.ID, &e.CompanyID, &typ, &e.ObjectID, strCol{&e.MembershipID}, jsonCol{&e.Data}, timeCol{&e.CreatedAt}}, extra...)...)
	d.ResendOf, d.Status, e.Type = resendOf.Int64, memberd.DeliveryStatus(status), memberd.EventType(typ)
	return d, notFound(err)
}

func (t *tx) ClaimDeliveries(ctx context.Context, now, lease time.Time, token string, limit int) ([]memberd.DeliveryJob, error) {
	lock := t.lockRows("d")
	if lock != "" {
		lock += " " + t.s.d.SkipLocked
	}
	rows, err := t.query(ctx, `SELECT `+deliveryCols+`, w.id, w.company_id, w.url, w.api_version, w.secret `+deliveryFrom+`
		JOIN webhooks w ON w.id = d.webhook_id
		WHERE d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.seq LIMIT ?`+lock, ms(now), limit)
	if err != nil {
		return nil, err
	}
	var jobs []memberd.DeliveryJob
	for rows.Next() {
		j := memberd.DeliveryJob{Token: token, Lease: lease}
		w := &j.Webhook
		if j.Delivery, err = scanDelivery(rows, &w.ID, &w.CompanyID, &w.URL, &w.APIVersion, &w.Secret); err != nil {
			rows.Close()
			return nil, err
		}
		jobs = append(jobs, j)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(jobs) == 0 {
		return nil, err
	}
	seqs := make([]any, len(jobs))
	for i, j := range jobs {
		seqs[i] = j.Delivery.Seq
	}
	list, args := inList(seqs)
	_, err = t.exec(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ?, lease = ? WHERE seq IN (`+list+`)`, append([]any{ms(lease), token}, args...)...)
	return jobs, err
}

// endpointState is what a batch of results says of one endpoint: whether
// an attempt succeeded, and when the failures after the last success began
// (zero if there are none).
type endpointState struct {
	succeeded    bool
	failingSince time.Time
}

func (t *tx) RecordAttempts(ctx context.Context, rs []memberd.AttemptResult, failingBefore time.Time) ([]memberd.EndpointDisabled, error) {
	endpoints := map[string]*endpointState{}
	var order []string
	disable := map[string]string{}
	for i := range rs {
		r := &rs[i]
		exists, err := t.applyResult(ctx, r)
		if err != nil {
			return nil, err
		}
		if r.Release || !exists {
			continue
		}
		// The attempt happened even if the claim has lapsed meanwhile.
		if err := t.insertAttempt(ctx, &r.Attempt); err != nil {
			return nil, err
		}
		if r.Status == memberd.DeliverySkipped { // no request: says nothing of the endpoint
			continue
		}
		webhookID := r.WebhookID
		st, ok := endpoints[webhookID]
		if !ok {
			st = &endpointState{}
			endpoints[webhookID] = st
			order = append(order, webhookID)
		}
		switch {
		case r.Status == memberd.DeliverySucceeded:
			st.succeeded, st.failingSince = true, time.Time{}
		case st.failingSince.IsZero():
			st.failingSince = r.Attempt.At
		}
		if r.DisableEndpoint {
			disable[webhookID] = "it answered 410 Gone"
		}
		if r.ThrottleUntil != nil {
			if _, err := t.exec(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ?
				WHERE webhook_id = ? AND next_attempt_at < ? AND lease IS NULL`, ms(*r.ThrottleUntil), webhookID, ms(*r.ThrottleUntil)); err != nil {
				return nil, err
			}
		}
	}
	// Endpoints are updated in one order on every node, so that two nodes
	// recording attempts to the same endpoints never deadlock.
	slices.Sort(order)
	var disabled []memberd.EndpointDisabled
	for _, id := range order {
		reason, err := t.applyEndpointState(ctx, id, endpoints[id], failingBefore)
		if err != nil {
			return nil, err
		}
		if reason == "" {
			reason = disable[id]
		}
		if reason == "" {
			continue
		}
		ok, err := affected(t.exec(ctx, `UPDATE webhooks SET enabled = ? WHERE id = ? AND enabled = ?`, false, id, true))
		if err != nil {
			return nil, err
		}
		if ok {
			disabled = append(disabled, memberd.EndpointDisabled{WebhookID: id, Reason: reason})
		}
		if err := t.parkDeliveries(ctx, id); err != nil {
			return nil, err
		}
	}
	return disabled, nil
}

// applyResult updates the delivery of r if its claim still holds, and
// reports whether the delivery still exists (its endpoint may have been
// deleted meanwhile).
func (t *tx) applyResult(ctx context.Context, r *memberd.AttemptResult) (bool, error) {
	next := "NULL"
	var args []any
	if r.NextAttemptAt != nil {
		// A disabled endpoint's deliveries wait for it to be enabled. (The
		// cast types the parameter for databases that infer it.)
		next = `CASE WHEN (SELECT w.enabled FROM webhooks w WHERE w.id = webhook_id) = ? THEN CAST(? AS BIGINT) ELSE NULL END`
		args = append(args, true, ms(*r.NextAttemptAt))
	}
	q := `UPDATE webhook_deliveries SET next_attempt_at = ` + next + `, lease = NULL WHERE seq = ? AND lease = ?`
	if !r.Release {
		q = `UPDATE webhook_deliveries SET next_attempt_at = ` + next + `, lease = NULL, status = ?, attempts = ?,
			last_attempt_at = ?, last_status = ?, last_error = ? WHERE seq = ? AND lease = ?`
		a := &r.Attempt
		args = append(args, string(r.Status), a.Number, ms(a.At), intOrNil(a.Status), strOrNil(a.Error))
	}
	applied, err := affected(t.exec(ctx, q, append(args, r.Attempt.DeliverySeq, r.Token)...))
	if err != nil || applied {
		return applied, err
	}
	var one int
	err = t.queryRow(ctx, `SELECT 1 FROM webhook_deliveries WHERE seq = ?`, r.Attempt.DeliverySeq).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, err
}

func intOrNil(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

// applyEndpointState saves an endpoint's failing streak and reports why it
// must be disabled, if it must.
func (t *tx) applyEndpointState(ctx context.Context, id string, st *endpointState, failingBefore time.Time) (string, error) {
	if st.failingSince.IsZero() {
		_, err := t.exec(ctx, `UPDATE webhooks SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL`, id)
		return "", err
	}
	q := `UPDATE webhooks SET failing_since = COALESCE(failing_since, ?) WHERE id = ?`
	if st.succeeded {
		q = `UPDATE webhooks SET failing_since = ? WHERE id = ?`
	}
	if _, err := t.exec(ctx, q, ms(st.failingSince), id); err != nil {
		return "", err
	}
	var since int64
	err := t.queryRow(ctx, `SELECT failing_since FROM webhooks WHERE id = ? AND enabled = ? AND failing_since <= ?`, id, true, ms(failingBefore)).Scan(&since)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return "every attempt since " + time.UnixMilli(since).UTC().Format(time.RFC3339) + " has failed", nil
}

// affected reports whether a statement changed a row.
func affected(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func (t *tx) insertAttempt(ctx context.Context, a *memberd.Attempt) error {
	return t.insert(ctx, &a.Seq, `INSERT INTO webhook_attempts (delivery_seq, number, attempted_at, url, request_headers,
		response_status, response_body, latency_us, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.DeliverySeq, a.Number, ms(a.At), a.URL, jsonText(a.RequestHeaders), intOrNil(a.Status), strOrNil(a.ResponseBody),
		a.Latency.Microseconds(), strOrNil(a.Error))
}

func (t *tx) Delivery(ctx context.Context, webhookID string, seq int64) (memberd.Delivery, error) {
	return scanDelivery(t.queryRow(ctx, `SELECT `+deliveryCols+` `+deliveryFrom+` WHERE d.webhook_id = ? AND d.seq = ?`, webhookID, seq))
}

func (t *tx) ListDeliveries(ctx context.Context, f memberd.DeliveryFilter, p memberd.PageRequest) (memberd.Page[memberd.Delivery], error) {
	l := listQuery{cols: deliveryCols, from: deliveryFrom, seq: "d.seq"}
	l.filter("d.webhook_id = ?", f.WebhookID)
	in(&l, "d.status", f.Statuses)
	return listPage(ctx, t, l, sortKey{"d.seq", "int"}, p, func(rows *sql.Rows, extra ...any) (memberd.Delivery, error) {
		return scanDelivery(rows, extra...)
	})
}

func (t *tx) ListAttempts(ctx context.Context, deliverySeq int64, p memberd.PageRequest) (memberd.Page[memberd.Attempt], error) {
	l := listQuery{cols: `a.seq, a.delivery_seq, a.number, a.attempted_at, a.url, a.request_headers, a.response_status, a.response_body,
		a.latency_us, a.error`, from: "FROM webhook_attempts a", seq: "a.seq"}
	l.filter("a.delivery_seq = ?", deliverySeq)
	return listPage(ctx, t, l, sortKey{"a.seq", "int"}, p, func(rows *sql.Rows, extra ...any) (memberd.Attempt, error) {
		var a memberd.Attempt
		var headers string
		var latency int64
		err := rows.Scan(append([]any{&a.Seq, &a.DeliverySeq, &a.Number, timeCol{&a.At}, &a.URL, &headers, intCol{&a.Status},
			strCol{&a.ResponseBody}, &latency, strCol{&a.Error}}, extra...)...)
		if err != nil {
			return a, err
		}
		a.Latency = time.Duration(latency) * time.Microsecond
		return a, json.Unmarshal([]byte(headers), &a.RequestHeaders)
	})
}

// resendInsert copies a delivery as a new one, due at once.
const resendInsert = `INSERT INTO webhook_deliveries (webhook_id, event_seq, resend_of, status, attempts, next_attempt_at)
	SELECT d.webhook_id, d.event_seq, d.seq, '` + string(memberd.DeliveryPending) + `', 0, 0 `

func (t *tx) ResendDelivery(ctx context.Context, webhookID string, seq int64) (memberd.Delivery, error) {
	var newSeq int64
	if err := t.insert(ctx, &newSeq, resendInsert+`FROM webhook_deliveries d WHERE d.webhook_id = ? AND d.seq = ?`, webhookID, seq); err != nil {
		return memberd.Delivery{}, notFound(err)
	}
	return t.Delivery(ctx, webhookID, newSeq)
}

func (t *tx) ResendDeliveries(ctx context.Context, f memberd.ResendFilter) (int, error) {
	l := listQuery{}
	l.filter("d.webhook_id = ? AND e.created_at >= ? AND e.created_at < ?", f.WebhookID, ms(f.Since), ms(f.Until))
	// Each event once: its latest delivery to the endpoint.
	l.filter(`d.seq = (SELECT MAX(d2.seq) FROM webhook_deliveries d2 WHERE d2.webhook_id = d.webhook_id AND d2.event_seq = d.event_seq)`)
	in(&l, "d.status", f.Statuses)
	res, err := t.exec(ctx, resendInsert+deliveryFrom+l.whereSQL(), l.args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}
