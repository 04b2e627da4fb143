package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/memberd/memberd"
)

// Memberships and payments.

const membershipCols = `m.seq, m.id, m.company_id, m.user_id, m.member_id, m.product_id, m.plan_id, m.promo_code_id,
	m.status, m.created_at, m.updated_at, m.joined_at,
	m.plan_type, m.billing_period_days, m.trial_days, m.expiration_days, m.initial_price, m.renewal_price, m.currency,
	m.paid_charges, m.total_spend, m.discount_type, m.discount_amount, m.discount_remaining,
	m.period_start, m.period_end, m.in_trial, m.trial_warning_at, m.expires_at,
	m.cancel_at_period_end, m.canceled_at, m.cancel_option, m.cancellation_reason,
	m.collection_paused, m.resumes_at, m.open_payment_id, m.retry_at,
	m.payment_method_id, m.license_key, m.metadata, m.checkout_configuration_id, m.resynced_at,
	c.title, c.route, p.title, p.route, p.metadata, pl.internal_notes, pl.metadata, pc.code,
	u.id, u.username, u.name, u.email, pm.created_at`

const membershipFrom = `FROM memberships m
	JOIN companies c ON c.id = m.company_id
	JOIN products p ON p.id = m.product_id
	JOIN plans pl ON pl.id = m.plan_id
	LEFT JOIN promo_codes pc ON pc.id = m.promo_code_id
	LEFT JOIN users u ON u.id = m.user_id
	LEFT JOIN payment_methods pm ON pm.id = m.payment_method_id`

func scanMembership(r rowScanner, extra ...any) (memberd.Membership, error) {
	var m memberd.Membership
	var status, planType, currency, discountType string
	var discountAmount memberd.Money
	var discountRemaining sql.NullInt64
	var userID, username, name, email sql.NullString
	err := r.Scan(append([]any{&m.Seq, &m.ID, &m.CompanyID, &m.UserID, &m.MemberID, &m.ProductID, &m.PlanID, strCol{&m.PromoCodeID},
		&status, timeCol{&m.CreatedAt}, timeCol{&m.UpdatedAt}, timeCol{&m.JoinedAt},
		&planType, &m.Terms.BillingPeriodDays, &m.Terms.TrialDays, &m.Terms.ExpirationDays, moneyCol{&m.Terms.InitialPrice}, moneyCol{&m.Terms.RenewalPrice}, &currency,
		&m.PaidCharges, moneyCol{&m.TotalSpend}, strCol{&discountType}, moneyCol{&discountAmount}, &discountRemaining,
		timePtrCol{&m.PeriodStart}, timePtrCol{&m.PeriodEnd}, boolCol{&m.InTrial}, timePtrCol{&m.TrialWarningAt}, timePtrCol{&m.ExpiresAt},
		boolCol{&m.CancelAtPeriodEnd}, timePtrCol{&m.CanceledAt}, strCol{&m.CancelOption}, strCol{&m.CancellationReason},
		boolCol{&m.CollectionPaused}, timePtrCol{&m.ResumesAt}, strCol{&m.OpenPaymentID}, timePtrCol{&m.RetryAt},
		strCol{&m.PaymentMethodID}, strCol{&m.LicenseKey}, jsonCol{&m.Metadata}, strCol{&m.CheckoutConfigurationID}, timePtrCol{&m.ResyncedAt},
		&m.CompanyTitle, &m.CompanyRoute, &m.ProductTitle, &m.ProductRoute, jsonCol{&m.ProductMetadata},
		strCol{&m.PlanInternalNotes}, jsonCol{&m.PlanMetadata}, strCol{&m.PromoCode}, &userID, &username, &name, &email,
		timePtrCol{&m.PaymentMethodCreatedAt}}, extra...)...)
	if err != nil {
		return m, notFound(err)
	}
	m.Status, m.Terms.PlanType, m.Terms.Currency = memberd.Status(status), memberd.PlanType(planType), memberd.Currency(currency)
	if discountType != "" {
		m.Discount = &memberd.Discount{PromoCodeID: m.PromoCodeID, Type: memberd.PromoType(discountType), AmountOff: discountAmount, Remaining: int(discountRemaining.Int64)}
	}
	if userID.Valid {
		m.User = &memberd.User{ID: userID.String, Username: username.String, Name: name.String, Email: email.String}
	}
	return m, nil
}

// membershipValues are the stored columns of m, in membershipWriteCols order,
// ending with the due time derived from its state.
func membershipValues(m *memberd.Membership) []any {
	var dType, dAmount, dRemaining any
	if d := m.Discount; d != nil {
		dType, dAmount, dRemaining = string(d.Type), int64(d.AmountOff), d.Remaining
	}
	var due any
	if w, ok := m.NextWork(); ok {
		due = ms(w.At)
	}
	return []any{m.Status, ms(m.UpdatedAt), ms(m.JoinedAt),
		string(m.Terms.PlanType), m.Terms.BillingPeriodDays, m.Terms.TrialDays, m.Terms.ExpirationDays,
		int64(m.Terms.InitialPrice), int64(m.Terms.RenewalPrice), string(m.Terms.Currency),
		m.PaidCharges, int64(m.TotalSpend), dType, dAmount, dRemaining,
		msOrNil(m.PeriodStart), msOrNil(m.PeriodEnd), m.InTrial, msOrNil(m.TrialWarningAt), msOrNil(m.ExpiresAt),
		m.CancelAtPeriodEnd, msOrNil(m.CanceledAt), strOrNil(m.CancelOption), strOrNil(m.CancellationReason),
		m.CollectionPaused, msOrNil(m.ResumesAt), strOrNil(m.OpenPaymentID), msOrNil(m.RetryAt),
		strOrNil(m.PaymentMethodID), strOrNil(m.LicenseKey), jsonOrNil(m.Metadata), strOrNil(m.CheckoutConfigurationID), msOrNil(m.ResyncedAt),
		due}
}

const membershipWriteCols = `status, updated_at, joined_at,
	plan_type, billing_period_days, trial_days, expiration_days, initial_price, renewal_price, currency,
	paid_charges, total_spend, discount_type, discount_amount, discount_remaining,
	period_start, period_end, in_trial, trial_warning_at, expires_at,
	cancel_at_period_end, canceled_at, cancel_option, cancellation_reason,
	collection_paused, resumes_at, open_payment_id, retry_at,
	payment_method_id, license_key, metadata, checkout_configuration_id, resynced_at, due_at`

const membershipWriteWidth = 34

var membershipWriteParams = placeholders(membershipWriteWidth)

func (t *tx) InsertMembership(ctx context.Context, m *memberd.Membership) error {
	args := append([]any{m.ID, m.CompanyID, m.UserID, m.MemberID, m.ProductID, m.PlanID, strOrNil(m.PromoCodeID), ms(m.CreatedAt)}, membershipValues(m)...)
	return t.insert(ctx, &m.Seq, `INSERT INTO memberships (id, company_id, user_id, member_id, product_id, plan_id, promo_code_id, created_at, `+
		membershipWriteCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, `+membershipWriteParams+`)`, args...)
}

// UpdateMemberships writes the memberships' state in multi-row upserts
// (every row exists; the insert half never applies).
func (t *tx) UpdateMemberships(ctx context.Context, list []memberd.Membership) error {
	for i := range list {
		m := &list[i]
		args := append(membershipValues(m), m.CompanyID, m.ID)
		if err := mustAffect(t.exec(ctx, `UPDATE memberships SET (`+membershipWriteCols+`) = (`+membershipWriteParams+`) WHERE company_id = ? AND id = ?`, args...)); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) Membership(ctx context.Context, companyID, id string) (memberd.Membership, error) {
	return scanMembership(t.queryRow(ctx, `SELECT `+membershipCols+` `+membershipFrom+` WHERE m.company_id = ? AND m.id = ?`, companyID, id))
}

func (t *tx) LockMembership(ctx context.Context, companyID, id string) (memberd.Membership, error) {
	return scanMembership(t.queryRow(ctx, `SELECT `+membershipCols+` `+membershipFrom+` WHERE m.company_id = ? AND m.id = ?`+t.lockRows("m"), companyID, id))
}

// lockRows locks the rows of the named table only (the joined rows are read).
func (t *tx) lockRows(alias string) string {
	if t.forUpdate() == "" {
		return ""
	}
	return t.forUpdate() + " OF " + alias
}

var membershipSort = map[string]sortKey{
	"":            {"m.created_at", "int"},
	"created_at":  {"m.created_at", "int"},
	"id":          {"m.id", "string"},
	"status":      {"m.status", "string"},
	"canceled_at": {"COALESCE(m.canceled_at, -1)", "int"},
	"date_joined": {"m.joined_at", "int"},
	"total_spend": {"m.total_spend", "int"},
}

func membershipList(f memberd.MembershipFilter) listQuery {
	l := listQuery{cols: membershipCols, from: membershipFrom, seq: "m.seq"}
	l.filter("m.company_id = ?", f.CompanyID)
	in(&l, "m.status", f.Statuses)
	in(&l, "m.cancel_option", f.CancelOptions)
	in(&l, "m.plan_id", f.PlanIDs)
	in(&l, "m.product_id", f.ProductIDs)
	in(&l, "m.promo_code_id", f.PromoCodeIDs)
	in(&l, "m.user_id", f.UserIDs)
	l.timeRange("m.created_at", f.CreatedAfter, f.CreatedBefore)
	if f.Valid != nil {
		op := "IN"
		if !*f.Valid {
			op = "NOT IN"
		}
		l.filter("m.status " + op + " " + validStatuses)
	}
	if f.LicenseKey != "" {
		l.filter("m.license_key = ?", f.LicenseKey)
	}
	if f.Search != "" {
		users, args := usersMatching(f.Search, f.SearchEmails, "username")
		l.filter("(m.id = ? OR m.user_id = ? OR m.user_id IN ("+users+"))", append([]any{f.Search, f.Search}, args...)...)
	}
	return l
}

// usersMatching returns a subquery of the ids of users whose given columns
// (or email, with emails) contain search, ignoring case, and its arguments.
func usersMatching(search string, emails bool, cols ...string) (string, []any) {
	if emails {
		cols = append(cols, "email")
	}
	pattern := "%" + likeEscaper.Replace(strings.ToLower(search)) + "%"
	conds := make([]string, len(cols))
	args := make([]any, len(cols))
	for i, c := range cols {
		conds[i] = "LOWER(su." + c + `) LIKE ? ESCAPE '\'`
		args[i] = pattern
	}
	return "SELECT su.id FROM users su WHERE " + strings.Join(conds, " OR "), args
}

// likeEscaper escapes LIKE's wildcards (and its escape character, \).
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func (t *tx) ListMemberships(ctx context.Context, f memberd.MembershipFilter, p memberd.PageRequest) (memberd.Page[memberd.Membership], error) {
	return listPage(ctx, t, membershipList(f), membershipSort[p.Order], p, func(rows *sql.Rows, extra ...any) (memberd.Membership, error) {
		return scanMembership(rows, extra...)
	})
}

func (t *tx) CountMemberships(ctx context.Context, f memberd.MembershipFilter) (int, error) {
	l := membershipList(f)
	var n int
	err := t.queryRow(ctx, `SELECT COUNT(*) FROM memberships m`+l.whereSQL(), l.args...).Scan(&n)
	return n, err
}

func (t *tx) ListMembershipsOffset(ctx context.Context, f memberd.MembershipFilter, offset, limit int, asc bool) ([]memberd.Membership, error) {
	l := membershipList(f)
	dir := "DESC"
	if asc {
		dir = "ASC"
	}
	return queryAll(ctx, t, scanMembership, `SELECT `+membershipCols+` `+membershipFrom+l.whereSQL()+
		` ORDER BY m.created_at `+dir+`, m.seq `+dir+` LIMIT ? OFFSET ?`, append(l.args, limit, offset)...)
}

func (t *tx) DueMemberships(ctx context.Context, companyID string, until time.Time, limit int, skipLocked bool) ([]memberd.Membership, error) {
	l := listQuery{}
	l.filter("m.due_at IS NOT NULL AND m.due_at <= ?", ms(until))
	if companyID != "" {
		l.filter("m.company_id = ?", companyID)
	}
	lock := t.lockRows("m")
	if skipLocked && lock != "" {
		lock += " " + t.s.d.SkipLocked
	}
	return queryAll(ctx, t, scanMembership, `SELECT `+membershipCols+` `+membershipFrom+l.whereSQL()+` ORDER BY m.due_at, m.seq LIMIT ?`+lock,
		append(l.args, limit)...)
}

const paymentCols = `py.seq, py.id, py.company_id, py.membership_id, py.user_id, py.member_id, py.plan_id, py.product_id,
	py.promo_code_id, py.payment_method_id, py.status, py.substatus, py.billing_reason, py.currency, py.subtotal, py.total,
	py.created_at, py.updated_at, py.paid_at, py.last_attempt_at, py.next_attempt_at, py.payments_failed, py.failure_message,
	m.status, c.title, c.route, p.title, p.route, p.metadata, pl.internal_notes, pl.metadata,
	pc.code, pc.promo_type, pc.amount_off, pc.currency, pc.duration_months,
	u.id, u.username, u.name, u.email, pm.created_at`

const paymentFrom = `FROM payments py
	JOIN memberships m ON m.id = py.membership_id
	JOIN companies c ON c.id = py.company_id
	JOIN products p ON p.id = py.product_id
	JOIN plans pl ON pl.id = py.plan_id
	LEFT JOIN promo_codes pc ON pc.id = py.promo_code_id
	LEFT JOIN users u ON u.id = py.user_id
	LEFT JOIN payment_methods pm ON pm.id = py.payment_method_id`

func scanPayment(r rowScanner, extra ...any) (memberd.Payment, error) {
	var p memberd.Payment
	var status, reason, currency, mstatus string
	var promoCode, promoType, promoCurrency string
	var promoAmount memberd.Money
	var promoMonths int
	var userID, username, name, email sql.NullString
	err := r.Scan(append([]any{&p.Seq, &p.ID, &p.CompanyID, &p.MembershipID, &p.UserID, &p.MemberID, &p.PlanID, &p.ProductID,
		strCol{&p.PromoCodeID}, strCol{&p.PaymentMethodID}, &status, &p.Substatus, &reason, &currency, moneyCol{&p.Subtotal}, moneyCol{&p.Total},
		timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt}, timePtrCol{&p.PaidAt}, timePtrCol{&p.LastAttemptAt}, timePtrCol{&p.NextAttemptAt},
		&p.PaymentsFailed, strCol{&p.FailureMessage},
		&mstatus, &p.CompanyTitle, &p.CompanyRoute, &p.ProductTitle, &p.ProductRoute, jsonCol{&p.ProductMetadata},
		strCol{&p.PlanInternalNotes}, jsonCol{&p.PlanMetadata},
		strCol{&promoCode}, strCol{&promoType}, moneyCol{&promoAmount}, strCol{&promoCurrency}, intCol{&promoMonths},
		&userID, &username, &name, &email, timePtrCol{&p.PaymentMethodCreatedAt}}, extra...)...)
	if err != nil {
		return p, notFound(err)
	}
	p.Status, p.BillingReason, p.Currency, p.MembershipStatus = memberd.PaymentStatus(status), memberd.BillingReason(reason), memberd.Currency(currency), memberd.Status(mstatus)
	if p.PromoCodeID != "" {
		p.PromoCode = &memberd.PromoCode{ID: p.PromoCodeID, Code: promoCode, PromoType: memberd.PromoType(promoType),
			AmountOff: promoAmount, Currency: memberd.Currency(promoCurrency), DurationMonths: promoMonths}
	}
	if userID.Valid {
		p.User = &memberd.User{ID: userID.String, Username: username.String, Name: name.String, Email: email.String}
	}
	return p, nil
}

const paymentWriteCols = `status, substatus, updated_at, paid_at, last_attempt_at, next_attempt_at, payments_failed, failure_message`

// SavePayments inserts new payments and updates existing ones, in
// multi-row upserts.
func (t *tx) SavePayments(ctx context.Context, ps []memberd.Payment) error {
	rows := make([][]any, len(ps))
	for i := range ps {
		p := &ps[i]
		rows[i] = []any{p.ID, p.CompanyID, p.MembershipID, p.UserID, p.MemberID, p.PlanID, p.ProductID,
			strOrNil(p.PromoCodeID), strOrNil(p.PaymentMethodID), string(p.BillingReason), string(p.Currency), int64(p.Subtotal), int64(p.Total),
			ms(p.CreatedAt), string(p.Status), p.Substatus, ms(p.UpdatedAt), msOrNil(p.PaidAt), msOrNil(p.LastAttemptAt), msOrNil(p.NextAttemptAt),
			p.PaymentsFailed, strOrNil(p.FailureMessage)}
	}
	return t.insertMany(ctx, `INSERT INTO payments (id, company_id, membership_id, user_id, member_id, plan_id, product_id,
		promo_code_id, payment_method_id, billing_reason, currency, subtotal, total, created_at, `+paymentWriteCols+`) VALUES `,
		22, ` ON CONFLICT (id) DO UPDATE SET `+excludedSet(paymentWriteCols), rows)
}

func (t *tx) Payment(ctx context.Context, companyID, id string) (memberd.Payment, error) {
	return scanPayment(t.queryRow(ctx, `SELECT `+paymentCols+` `+paymentFrom+` WHERE py.company_id = ? AND py.id = ?`, companyID, id))
}

var paymentSort = map[string]sortKey{
	"":             {"py.created_at", "int"},
	"created_at":   {"py.created_at", "int"},
	"paid_at":      {"COALESCE(py.paid_at, -1)", "int"},
	"final_amount": {"py.total", "int"},
}

func (t *tx) ListPayments(ctx context.Context, f memberd.PaymentFilter, p memberd.PageRequest) (memberd.Page[memberd.Payment], error) {
	l := listQuery{cols: paymentCols, from: paymentFrom, seq: "py.seq"}
	l.filter("py.company_id = ?", f.CompanyID)
	in(&l, "py.membership_id", f.MembershipIDs)
	in(&l, "py.status", f.Statuses)
	in(&l, "py.substatus", f.Substatuses)
	in(&l, "py.billing_reason", f.BillingReasons)
	in(&l, "py.plan_id", f.PlanIDs)
	in(&l, "py.product_id", f.ProductIDs)
	in(&l, "py.currency", f.Currencies)
	l.timeRange("py.created_at", f.CreatedAfter, f.CreatedBefore)
	l.timeRange("py.updated_at", f.UpdatedAfter, f.UpdatedBefore)
	if f.Search != "" {
		users, args := usersMatching(f.Search, f.SearchEmails, "username", "name")
		l.filter("(py.membership_id = ? OR py.user_id = ? OR py.user_id IN ("+users+"))", append([]any{f.Search, f.Search}, args...)...)
	}
	return listPage(ctx, t, l, paymentSort[p.Order], p, func(rows *sql.Rows, extra ...any) (memberd.Payment, error) {
		return scanPayment(rows, extra...)
	})
}

func (t *tx) InsertEvents(ctx context.Context, evs []memberd.Event) error {
	rows := make([][]any, len(evs))
	for i := range evs {
		e := &evs[i]
		rows[i] = []any{e.ID, e.CompanyID, string(e.Type), e.ObjectID, strOrNil(e.MembershipID), string(e.Data), ms(e.CreatedAt)}
	}
	if err := t.insertMany(ctx, `INSERT INTO events (id, company_id, type, object_id, membership_id, data, created_at) VALUES `, 7, "", rows); err != nil {
		return err
	}
	return t.fanOut(ctx, evs)
}

func (t *tx) ListEvents(ctx context.Context, f memberd.EventFilter) ([]memberd.Event, error) {
	l := listQuery{}
	l.filter("company_id = ? AND seq > ?", f.CompanyID, f.AfterSeq)
	if f.MembershipID != "" {
		l.filter("membership_id = ?", f.MembershipID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	rows, err := t.query(ctx, `SELECT seq, id, company_id, type, object_id, membership_id, data, created_at FROM events`+l.whereSQL()+` ORDER BY seq LIMIT ?`,
		append(l.args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []memberd.Event
	for rows.Next() {
		var e memberd.Event
		var typ string
		if err := rows.Scan(&e.Seq, &e.ID, &e.CompanyID, &typ, &e.ObjectID, strCol{&e.MembershipID}, jsonCol{&e.Data}, timeCol{&e.CreatedAt}); err != nil {
			return nil, err
		}
		e.Type = memberd.EventType(typ)
		out = append(out, e)
	}
	return out, rows.Err()
}
