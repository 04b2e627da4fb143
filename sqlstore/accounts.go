package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/memberd/memberd"
)

// Companies, API keys, users, members and payment methods.

const companyCols = `c.seq, c.id, c.title, c.parent_id, c.owner_user_id, c.route, c.description, c.metadata, c.created_at, c.updated_at,
	c.clock_offset, o.username, o.name`

const companyFrom = `FROM companies c JOIN users o ON o.id = c.owner_user_id`

type rowScanner interface{ Scan(dest ...any) error }

func scanCompany(r rowScanner, extra ...any) (memberd.Company, error) {
	var c memberd.Company
	var offset int64
	err := r.Scan(append([]any{&c.Seq, &c.ID, &c.Title, strCol{&c.ParentID}, &c.OwnerUserID, &c.Route, strCol{&c.Description},
		jsonCol{&c.Metadata}, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}, &offset, &c.Owner.Username, strCol{&c.Owner.Name}}, extra...)...)
	c.ClockOffset = time.Duration(offset) * time.Millisecond
	c.Owner.ID = c.OwnerUserID
	return c, notFound(err)
}

func (t *tx) InsertCompany(ctx context.Context, c *memberd.Company) error {
	return t.insert(ctx, &c.Seq, `INSERT INTO companies (id, title, parent_id, owner_user_id, route, description, metadata, created_at, updated_at, clock_offset)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Title, strOrNil(c.ParentID), c.OwnerUserID, c.Route, c.Description, jsonOrNil(c.Metadata), ms(c.CreatedAt), ms(c.UpdatedAt), c.ClockOffset.Milliseconds())
}

func (t *tx) Company(ctx context.Context, id string) (memberd.Company, error) {
	return scanCompany(t.queryRow(ctx, `SELECT `+companyCols+` `+companyFrom+` WHERE c.id = ?`, id))
}

func (t *tx) LockCompany(ctx context.Context, id string) (memberd.Company, error) {
	return scanCompany(t.queryRow(ctx, `SELECT `+companyCols+` `+companyFrom+` WHERE c.id = ?`+t.lockRows("c"), id))
}

func (t *tx) UpdateCompany(ctx context.Context, c *memberd.Company) error {
	return mustAffect(t.exec(ctx, `UPDATE companies SET title = ?, route = ?, description = ?, metadata = ?, updated_at = ?, clock_offset = ? WHERE id = ?`,
		c.Title, c.Route, c.Description, jsonOrNil(c.Metadata), ms(c.UpdatedAt), c.ClockOffset.Milliseconds(), c.ID))
}

var companySort = map[string]sortKey{"": {"c.created_at", "int"}, "created_at": {"c.created_at", "int"}}

func (t *tx) ListCompanies(ctx context.Context, parentID string, p memberd.PageRequest) (memberd.Page[memberd.Company], error) {
	l := listQuery{cols: companyCols, from: companyFrom, seq: "c.seq"}
	l.filter("c.parent_id = ?", parentID)
	return listPage(ctx, t, l, companySort[p.Order], p, func(rows *sql.Rows, extra ...any) (memberd.Company, error) {
		return scanCompany(rows, extra...)
	})
}

func (t *tx) OldestCompanies(ctx context.Context, limit int) ([]memberd.Company, error) {
	return t.companies(ctx, `SELECT `+companyCols+` `+companyFrom+` ORDER BY c.seq LIMIT ?`, limit)
}

func (t *tx) CompaniesWithDueWork(ctx context.Context, realNow time.Time, limit int) ([]memberd.Company, error) {
	return t.companies(ctx, `SELECT `+companyCols+` `+companyFrom+` WHERE EXISTS (
		SELECT 1 FROM memberships m WHERE m.company_id = c.id AND m.due_at IS NOT NULL AND m.due_at <= ? + c.clock_offset)
		ORDER BY c.seq LIMIT ?`, ms(realNow), limit)
}

func (t *tx) companies(ctx context.Context, q string, args ...any) ([]memberd.Company, error) {
	return queryAll(ctx, t, scanCompany, q, args...)
}

func (t *tx) InsertAPIKey(ctx context.Context, k *memberd.APIKey) error {
	var seq int64
	return t.insert(ctx, &seq, `INSERT INTO api_keys (id, company_id, name, hash, permissions, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		k.ID, k.CompanyID, k.Name, k.Hash, jsonText(k.Permissions), ms(k.CreatedAt))
}

func (t *tx) APIKeyByHash(ctx context.Context, hash string) (memberd.APIKey, error) {
	var k memberd.APIKey
	var perms string
	err := t.queryRow(ctx, `SELECT id, company_id, name, hash, permissions, created_at FROM api_keys WHERE hash = ?`, hash).
		Scan(&k.ID, &k.CompanyID, &k.Name, &k.Hash, &perms, timeCol{&k.CreatedAt})
	if err != nil {
		return k, notFound(err)
	}
	return k, json.Unmarshal([]byte(perms), &k.Permissions)
}

const userCols = `u.seq, u.id, u.username, u.name, u.email, u.created_at`

func scanUser(r rowScanner) (memberd.User, error) {
	var u memberd.User
	err := r.Scan(&u.Seq, &u.ID, &u.Username, strCol{&u.Name}, strCol{&u.Email}, timeCol{&u.CreatedAt})
	return u, notFound(err)
}

func (t *tx) InsertUser(ctx context.Context, u *memberd.User) error {
	return t.insert(ctx, &u.Seq, `INSERT INTO users (id, username, name, email, created_at) VALUES (?, ?, ?, ?, ?)`,
		u.ID, u.Username, strOrNil(u.Name), strOrNil(u.Email), ms(u.CreatedAt))
}

func (t *tx) User(ctx context.Context, id string) (memberd.User, error) {
	return scanUser(t.queryRow(ctx, `SELECT `+userCols+` FROM users u WHERE u.id = ?`, id))
}

func (t *tx) UserByUsername(ctx context.Context, username string) (memberd.User, error) {
	return scanUser(t.queryRow(ctx, `SELECT `+userCols+` FROM users u WHERE u.username = ?`, username))
}

// A member with its user, company title, total spent and whether any of its
// memberships grants access.
const memberCols = `mb.seq, mb.id, mb.company_id, mb.user_id, mb.created_at, mb.joined_at, mb.updated_at,
	u.id, u.username, u.name, u.email, c.title,
	(SELECT COALESCE(SUM(ms.total_spend), 0) FROM memberships ms WHERE ms.member_id = mb.id),
	(SELECT COUNT(*) FROM memberships ms WHERE ms.member_id = mb.id AND ms.status IN ('trialing', 'active', 'canceling', 'completed'))`

const memberFrom = `FROM members mb JOIN users u ON u.id = mb.user_id JOIN companies c ON c.id = mb.company_id`

func scanMember(r rowScanner, extra ...any) (memberd.Member, error) {
	var m memberd.Member
	var valid int
	err := r.Scan(append([]any{&m.Seq, &m.ID, &m.CompanyID, &m.UserID, timeCol{&m.CreatedAt}, timeCol{&m.JoinedAt}, timeCol{&m.UpdatedAt},
		&m.User.ID, &m.User.Username, strCol{&m.User.Name}, strCol{&m.User.Email}, &m.CompanyTitle,
		moneyCol{&m.TotalSpent}, &valid}, extra...)...)
	m.HasAccess = valid > 0
	return m, notFound(err)
}

func (t *tx) InsertMember(ctx context.Context, m *memberd.Member) error {
	return t.insert(ctx, &m.Seq, `INSERT INTO members (id, company_id, user_id, created_at, joined_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
		m.ID, m.CompanyID, m.UserID, ms(m.CreatedAt), ms(m.JoinedAt), ms(m.UpdatedAt))
}

func (t *tx) Member(ctx context.Context, companyID, id string) (memberd.Member, error) {
	return scanMember(t.queryRow(ctx, `SELECT `+memberCols+` `+memberFrom+` WHERE mb.company_id = ? AND mb.id = ?`, companyID, id))
}

func (t *tx) MemberByUser(ctx context.Context, companyID, userID string) (memberd.Member, error) {
	return scanMember(t.queryRow(ctx, `SELECT `+memberCols+` `+memberFrom+` WHERE mb.company_id = ? AND mb.user_id = ?`, companyID, userID))
}

var memberSort = map[string]sortKey{
	"":           {"mb.created_at", "int"},
	"created_at": {"mb.created_at", "int"},
	"joined_at":  {"mb.joined_at", "int"},
	"id":         {"mb.id", "string"},
}

func (t *tx) ListMembers(ctx context.Context, f memberd.MemberFilter, p memberd.PageRequest) (memberd.Page[memberd.Member], error) {
	l := listQuery{cols: memberCols, from: memberFrom, seq: "mb.seq"}
	l.filter("mb.company_id = ?", f.CompanyID)
	in(&l, "mb.user_id", f.UserIDs)
	l.timeRange("mb.created_at", f.CreatedAfter, f.CreatedBefore)
	for _, col := range []struct {
		name string
		ids  []string
	}{{"plan_id", f.PlanIDs}, {"product_id", f.ProductIDs}, {"promo_code_id", f.PromoCodeIDs}} {
		if len(col.ids) > 0 {
			cond, args := inCond("ms."+col.name, col.ids)
			l.filter("EXISTS (SELECT 1 FROM memberships ms WHERE ms.member_id = mb.id AND "+cond+")", args...)
		}
	}
	if f.HasAccess != nil {
		op := "EXISTS"
		if !*f.HasAccess {
			op = "NOT EXISTS"
		}
		l.filter(op + " (SELECT 1 FROM memberships ms WHERE ms.member_id = mb.id AND ms.status IN " + validStatuses + ")")
	}
	if f.Search != "" {
		users, args := usersMatching(f.Search, f.SearchEmails, "username", "name")
		l.filter("mb.user_id IN ("+users+")", args...)
	}
	return listPage(ctx, t, l, memberSort[p.Order], p, func(rows *sql.Rows, extra ...any) (memberd.Member, error) {
		return scanMember(rows, extra...)
	})
}

func (t *tx) InsertPaymentMethod(ctx context.Context, pm *memberd.PaymentMethod) error {
	var seq int64
	return t.insert(ctx, &seq, `INSERT INTO payment_methods (id, company_id, user_id, behavior, created_at) VALUES (?, ?, ?, ?, ?)`,
		pm.ID, pm.CompanyID, pm.UserID, pm.Behavior, ms(pm.CreatedAt))
}

const paymentMethodCols = `id, company_id, user_id, behavior, created_at`

func scanPaymentMethod(r rowScanner, extra ...any) (memberd.PaymentMethod, error) {
	var pm memberd.PaymentMethod
	err := r.Scan(append([]any{&pm.ID, &pm.CompanyID, &pm.UserID, &pm.Behavior, timeCol{&pm.CreatedAt}}, extra...)...)
	return pm, notFound(err)
}

func (t *tx) PaymentMethod(ctx context.Context, companyID, id string) (memberd.PaymentMethod, error) {
	return scanPaymentMethod(t.queryRow(ctx, `SELECT `+paymentMethodCols+` FROM payment_methods WHERE company_id = ? AND id = ?`, companyID, id))
}

func (t *tx) DefaultPaymentMethod(ctx context.Context, companyID, userID string) (memberd.PaymentMethod, error) {
	return scanPaymentMethod(t.queryRow(ctx, `SELECT `+paymentMethodCols+` FROM payment_methods
		WHERE company_id = ? AND user_id = ? ORDER BY seq DESC LIMIT 1`, companyID, userID))
}

func (t *tx) PaymentMethodsOfUsers(ctx context.Context, userIDs []string) ([]memberd.PaymentMethod, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	l := listQuery{}
	in(&l, "user_id", userIDs)
	return queryAll(ctx, t, scanPaymentMethod, `SELECT `+paymentMethodCols+` FROM payment_methods`+l.whereSQL()+` ORDER BY seq`, l.args...)
}
