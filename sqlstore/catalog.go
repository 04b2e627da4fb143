package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/memberd/memberd"
)

// Products, plans and promo codes. Deleted products and plans are kept
// (memberships still point at them) but no longer found.

const validStatuses = `('trialing', 'active', 'canceling', 'completed')`

const productCols = `p.seq, p.id, p.company_id, p.title, p.description, p.headline, p.route, p.visibility, p.metadata,
	p.software_licensing, p.created_at, p.updated_at, c.title, c.route`

const productFrom = `FROM products p JOIN companies c ON c.id = p.company_id`

func scanProduct(r rowScanner, extra ...any) (memberd.Product, error) {
	var p memberd.Product
	var vis string
	err := r.Scan(append([]any{&p.Seq, &p.ID, &p.CompanyID, &p.Title, strCol{&p.Description}, strCol{&p.Headline}, &p.Route, &vis,
		jsonCol{&p.Metadata}, boolCol{&p.SoftwareLicensing}, timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt}, &p.CompanyTitle, &p.CompanyRoute}, extra...)...)
	p.Visibility = memberd.Visibility(vis)
	return p, notFound(err)
}

func (t *tx) InsertProduct(ctx context.Context, p *memberd.Product) error {
	return t.insert(ctx, &p.Seq, `INSERT INTO products (id, company_id, title, description, headline, route, visibility, metadata, software_licensing, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.CompanyID, p.Title, strOrNil(p.Description), strOrNil(p.Headline), p.Route, string(p.Visibility),
		jsonOrNil(p.Metadata), p.SoftwareLicensing, ms(p.CreatedAt), ms(p.UpdatedAt))
}

func (t *tx) Product(ctx context.Context, companyID, id string) (memberd.Product, error) {
	return scanProduct(t.queryRow(ctx, `SELECT `+productCols+` `+productFrom+` WHERE p.company_id = ? AND p.id = ? AND p.deleted_at IS NULL`, companyID, id))
}

func (t *tx) UpdateProduct(ctx context.Context, p *memberd.Product) error {
	return mustAffect(t.exec(ctx, `UPDATE products SET title = ?, description = ?, headline = ?, route = ?, visibility = ?, metadata = ?,
		software_licensing = ?, updated_at = ? WHERE company_id = ? AND id = ? AND deleted_at IS NULL`,
		p.Title, strOrNil(p.Description), strOrNil(p.Headline), p.Route, string(p.Visibility), jsonOrNil(p.Metadata),
		p.SoftwareLicensing, ms(p.UpdatedAt), p.CompanyID, p.ID))
}

func (t *tx) DeleteProduct(ctx context.Context, companyID, id string, at time.Time) error {
	return mustAffect(t.exec(ctx, `UPDATE products SET deleted_at = ? WHERE company_id = ? AND id = ? AND deleted_at IS NULL`, ms(at), companyID, id))
}

var productSort = map[string]sortKey{
	"":           {"p.created_at", "int"},
	"created_at": {"p.created_at", "int"},
	"id":         {"p.id", "string"},
}

func (t *tx) ListProducts(ctx context.Context, f memberd.ProductFilter, p memberd.PageRequest) (memberd.Page[memberd.Product], error) {
	l := listQuery{cols: productCols, from: productFrom, seq: "p.seq"}
	l.filter("p.company_id = ? AND p.deleted_at IS NULL", f.CompanyID)
	in(&l, "p.visibility", f.Visibilities)
	return listPage(ctx, t, l, productSort[p.Order], p, func(rows *sql.Rows, extra ...any) (memberd.Product, error) {
		return scanProduct(rows, extra...)
	})
}

const planCols = `pl.seq, pl.id, pl.company_id, pl.product_id, pl.title, pl.description, pl.internal_notes, pl.plan_type,
	pl.billing_period_days, pl.trial_days, pl.expiration_days, pl.initial_price, pl.renewal_price, pl.currency,
	pl.visibility, pl.release_method, pl.stock, pl.metadata, pl.created_at, pl.updated_at`

func scanPlan(r rowScanner, extra ...any) (memberd.Plan, error) {
	var p memberd.Plan
	var typ, cur, vis string
	var stock sql.NullInt64
	err := r.Scan(append([]any{&p.Seq, &p.ID, &p.CompanyID, &p.ProductID, strCol{&p.Title}, strCol{&p.Description}, strCol{&p.InternalNotes}, &typ,
		&p.BillingPeriodDays, &p.TrialDays, &p.ExpirationDays, moneyCol{&p.InitialPrice}, moneyCol{&p.RenewalPrice}, &cur,
		&vis, &p.ReleaseMethod, &stock, jsonCol{&p.Metadata}, timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt}}, extra...)...)
	p.PlanType, p.Currency, p.Visibility = memberd.PlanType(typ), memberd.Currency(cur), memberd.Visibility(vis)
	if stock.Valid {
		n := int(stock.Int64)
		p.Stock = &n
	}
	return p, notFound(err)
}

func stockOrNil(s *int) any {
	if s == nil {
		return nil
	}
	return *s
}

func (t *tx) InsertPlan(ctx context.Context, p *memberd.Plan) error {
	return t.insert(ctx, &p.Seq, `INSERT INTO plans (id, company_id, product_id, title, description, internal_notes, plan_type,
		billing_period_days, trial_days, expiration_days, initial_price, renewal_price, currency, visibility, release_method,
		stock, metadata, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.CompanyID, p.ProductID, strOrNil(p.Title), strOrNil(p.Description), strOrNil(p.InternalNotes), string(p.PlanType),
		p.BillingPeriodDays, p.TrialDays, p.ExpirationDays, int64(p.InitialPrice), int64(p.RenewalPrice), string(p.Currency),
		string(p.Visibility), p.ReleaseMethod, stockOrNil(p.Stock), jsonOrNil(p.Metadata), ms(p.CreatedAt), ms(p.UpdatedAt))
}

func (t *tx) Plan(ctx context.Context, companyID, id string) (memberd.Plan, error) {
	return scanPlan(t.queryRow(ctx, `SELECT `+planCols+` FROM plans pl WHERE pl.company_id = ? AND pl.id = ? AND pl.deleted_at IS NULL`, companyID, id))
}

func (t *tx) LockPlan(ctx context.Context, companyID, id string) (memberd.Plan, error) {
	return scanPlan(t.queryRow(ctx, `SELECT `+planCols+` FROM plans pl WHERE pl.company_id = ? AND pl.id = ? AND pl.deleted_at IS NULL`+t.lockRows("pl"), companyID, id))
}

func (t *tx) UpdatePlan(ctx context.Context, p *memberd.Plan) error {
	return mustAffect(t.exec(ctx, `UPDATE plans SET title = ?, description = ?, internal_notes = ?, billing_period_days = ?, trial_days = ?,
		expiration_days = ?, initial_price = ?, renewal_price = ?, currency = ?, visibility = ?, release_method = ?, stock = ?,
		metadata = ?, updated_at = ? WHERE company_id = ? AND id = ? AND deleted_at IS NULL`,
		strOrNil(p.Title), strOrNil(p.Description), strOrNil(p.InternalNotes), p.BillingPeriodDays, p.TrialDays,
		p.ExpirationDays, int64(p.InitialPrice), int64(p.RenewalPrice), string(p.Currency), string(p.Visibility), p.ReleaseMethod,
		stockOrNil(p.Stock), jsonOrNil(p.Metadata), ms(p.UpdatedAt), p.CompanyID, p.ID))
}

func (t *tx) DeletePlan(ctx context.Context, companyID, id string, at time.Time) error {
	return mustAffect(t.exec(ctx, `UPDATE plans SET deleted_at = ? WHERE company_id = ? AND id = ? AND deleted_at IS NULL`, ms(at), companyID, id))
}

var planSort = map[string]sortKey{
	"":                     {"pl.created_at", "int"},
	"created_at":           {"pl.created_at", "int"},
	"id":                   {"pl.id", "string"},
	"internal_notes":       {"COALESCE(pl.internal_notes, '')", "string"},
	"expiration_days":      {"pl.expiration_days", "int"},
	"active_members_count": {"(SELECT COUNT(*) FROM memberships ms WHERE ms.plan_id = pl.id AND ms.status IN " + validStatuses + ")", "int"},
}

func (t *tx) ListPlans(ctx context.Context, f memberd.PlanFilter, p memberd.PageRequest) (memberd.Page[memberd.Plan], error) {
	l := listQuery{cols: planCols, from: "FROM plans pl", seq: "pl.seq"}
	l.filter("pl.company_id = ? AND pl.deleted_at IS NULL", f.CompanyID)
	in(&l, "pl.product_id", f.ProductIDs)
	in(&l, "pl.plan_type", f.PlanTypes)
	in(&l, "pl.visibility", f.Visibilities)
	l.timeRange("pl.created_at", f.CreatedAfter, f.CreatedBefore)
	return listPage(ctx, t, l, planSort[p.Order], p, func(rows *sql.Rows, extra ...any) (memberd.Plan, error) {
		return scanPlan(rows, extra...)
	})
}

const promoCols = `pc.seq, pc.id, pc.company_id, pc.code, pc.promo_type, pc.amount_off, pc.currency, pc.duration, pc.duration_months,
	pc.new_users_only, pc.one_per_customer, pc.churned_only, pc.existing_only, pc.product_id, pc.plan_ids, pc.stock,
	pc.unlimited_stock, pc.uses, pc.expires_at, pc.status, pc.created_at, c.title, pr.title`

const promoFrom = `FROM promo_codes pc JOIN companies c ON c.id = pc.company_id LEFT JOIN products pr ON pr.id = pc.product_id`

func scanPromo(r rowScanner, extra ...any) (memberd.PromoCode, error) {
	var p memberd.PromoCode
	var typ, cur, planIDs string
	err := r.Scan(append([]any{&p.Seq, &p.ID, &p.CompanyID, &p.Code, &typ, moneyCol{&p.AmountOff}, &cur, &p.Duration, &p.DurationMonths,
		boolCol{&p.NewUsersOnly}, boolCol{&p.OnePerCustomer}, boolCol{&p.ChurnedOnly}, boolCol{&p.ExistingOnly}, strCol{&p.ProductID}, &planIDs, &p.Stock,
		boolCol{&p.UnlimitedStock}, &p.Uses, timePtrCol{&p.ExpiresAt}, &p.Status, timeCol{&p.CreatedAt}, &p.CompanyTitle, strCol{&p.ProductTitle}}, extra...)...)
	if err != nil {
		return p, notFound(err)
	}
	p.PromoType, p.Currency = memberd.PromoType(typ), memberd.Currency(cur)
	return p, json.Unmarshal([]byte(planIDs), &p.PlanIDs)
}

func (t *tx) InsertPromoCode(ctx context.Context, p *memberd.PromoCode) error {
	if p.PlanIDs == nil {
		p.PlanIDs = []string{}
	}
	return t.insert(ctx, &p.Seq, `INSERT INTO promo_codes (id, company_id, code, promo_type, amount_off, currency, duration, duration_months,
		new_users_only, one_per_customer, churned_only, existing_only, product_id, plan_ids, stock, unlimited_stock, uses, expires_at, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.CompanyID, p.Code, string(p.PromoType), int64(p.AmountOff), string(p.Currency), p.Duration, p.DurationMonths,
		p.NewUsersOnly, p.OnePerCustomer, p.ChurnedOnly, p.ExistingOnly, strOrNil(p.ProductID), jsonText(p.PlanIDs), p.Stock,
		p.UnlimitedStock, p.Uses, msOrNil(p.ExpiresAt), p.Status, ms(p.CreatedAt))
}

func (t *tx) PromoCode(ctx context.Context, companyID, id string) (memberd.PromoCode, error) {
	return scanPromo(t.queryRow(ctx, `SELECT `+promoCols+` `+promoFrom+` WHERE pc.company_id = ? AND pc.id = ?`, companyID, id))
}

func (t *tx) LockPromoCode(ctx context.Context, companyID, id string) (memberd.PromoCode, error) {
	return scanPromo(t.queryRow(ctx, `SELECT `+promoCols+` `+promoFrom+` WHERE pc.company_id = ? AND pc.id = ?`+t.lockRows("pc"), companyID, id))
}

func (t *tx) UpdatePromoCode(ctx context.Context, p *memberd.PromoCode) error {
	return mustAffect(t.exec(ctx, `UPDATE promo_codes SET uses = ?, status = ?, stock = ? WHERE company_id = ? AND id = ?`,
		p.Uses, p.Status, p.Stock, p.CompanyID, p.ID))
}

var promoSort = map[string]sortKey{"": {"pc.created_at", "int"}, "created_at": {"pc.created_at", "int"}}

func (t *tx) ListPromoCodes(ctx context.Context, f memberd.PromoCodeFilter, p memberd.PageRequest) (memberd.Page[memberd.PromoCode], error) {
	l := listQuery{cols: promoCols, from: promoFrom, seq: "pc.seq"}
	l.filter("pc.company_id = ?", f.CompanyID)
	if f.Status != "" {
		l.filter("pc.status = ?", f.Status)
	}
	in(&l, "pc.product_id", f.ProductIDs)
	l.timeRange("pc.created_at", f.CreatedAfter, f.CreatedBefore)
	return listPage(ctx, t, l, promoSort[p.Order], p, func(rows *sql.Rows, extra ...any) (memberd.PromoCode, error) {
		return scanPromo(rows, extra...)
	})
}

func (t *tx) MemberCounts(ctx context.Context, companyID, column string, ids []string) (map[string]int, error) {
	col := map[string]string{"plan": "plan_id", "product": "product_id"}[column]
	if col == "" {
		return nil, fmt.Errorf("sqlstore: no member counts by %q", column)
	}
	counts := make(map[string]int, len(ids))
	if len(ids) == 0 {
		return counts, nil
	}
	l := listQuery{}
	l.filter("company_id = ? AND status IN "+validStatuses, companyID)
	in(&l, col, ids)
	rows, err := t.query(ctx, `SELECT `+col+`, COUNT(*) FROM memberships`+l.whereSQL()+` GROUP BY `+col, l.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		counts[id] = n
	}
	return counts, rows.Err()
}

func (t *tx) PromoCodeUsedBy(ctx context.Context, promoCodeID, userID string) (bool, error) {
	var n int
	err := t.queryRow(ctx, `SELECT COUNT(*) FROM memberships WHERE promo_code_id = ? AND user_id = ?`, promoCodeID, userID).Scan(&n)
	return n > 0, err
}
