package service

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"

	"errors"

	"github.com/memberd/memberd"
)

// CompanyParams create a company.
type CompanyParams struct {
	Title       string
	Description string
	Metadata    json.RawMessage
	ParentID    string
}

// CreateCompany creates a company and the user who owns it.
func (s *Service) CreateCompany(ctx context.Context, p CompanyParams) (memberd.Company, error) {
	title := strings.TrimSpace(p.Title)
	if title == "" {
		return memberd.Company{}, memberd.Missing("title")
	}
	if p.Metadata != nil {
		if err := memberd.ValidateMetadata("metadata", p.Metadata); err != nil {
			return memberd.Company{}, err
		}
	}
	var c memberd.Company
	err := s.store.Update(ctx, func(tx memberd.Tx) error {
		now := s.realNow().UTC().Truncate(time.Millisecond)
		if p.ParentID != "" {
			parent, err := tx.Company(ctx, p.ParentID)
			if err != nil {
				return notFound(err, "Company", p.ParentID)
			}
			now = s.now(&parent)
		}
		c = memberd.Company{
			ID: memberd.NewID(memberd.PrefixCompany), Title: title, ParentID: p.ParentID,
			Description: p.Description, Metadata: p.Metadata, CreatedAt: now, UpdatedAt: now,
		}
		c.Route = slug(title) + "-" + strings.ToLower(c.ID[len(c.ID)-6:])
		owner := memberd.User{ID: memberd.NewID(memberd.PrefixUser), Username: c.Route + "-owner", Name: title, CreatedAt: now}
		if err := tx.InsertUser(ctx, &owner); err != nil {
			return err
		}
		c.OwnerUserID, c.Owner = owner.ID, owner
		if p.ParentID != "" {
			// A child company starts on its parent's clock.
			parent, _ := tx.Company(ctx, p.ParentID)
			c.ClockOffset = parent.ClockOffset
		}
		return tx.InsertCompany(ctx, &c)
	})
	return c, err
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

func slug(s string) string {
	s = strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-")
	}
	if s == "" {
		s = "company"
	}
	return s
}

// Company returns a company the caller may see: its own or a child.
func (s *Service) Company(ctx context.Context, callerID, id string) (memberd.Company, error) {
	var c memberd.Company
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		c, err = tx.Company(ctx, id)
		if err != nil || (c.ID != callerID && c.ParentID != callerID) {
			return memberd.NotFound("Company", id)
		}
		return nil
	})
	return c, err
}

// ListCompanies lists the caller's child companies.
func (s *Service) ListCompanies(ctx context.Context, callerID string, p memberd.PageRequest) (memberd.Page[memberd.Company], error) {
	var page memberd.Page[memberd.Company]
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		page, err = tx.ListCompanies(ctx, callerID, p)
		return err
	})
	return page, err
}

// CreateAPIKey makes a key for the company (or, with a parent as caller, for
// one of its children) and returns it with its secret, shown only now.
func (s *Service) CreateAPIKey(ctx context.Context, callerID, companyID, name string, perms []string) (memberd.APIKey, string, error) {
	var k memberd.APIKey
	var secret string
	err := s.store.Update(ctx, func(tx memberd.Tx) error {
		c, err := tx.Company(ctx, companyID)
		if err != nil || (callerID != "" && c.ID != callerID && c.ParentID != callerID) {
			return memberd.NotFound("Company", companyID)
		}
		k, secret, err = memberd.NewAPIKey(c.ID, name, perms, s.now(&c))
		if err != nil {
			return err
		}
		return tx.InsertAPIKey(ctx, &k)
	})
	return k, secret, err
}

// UserParams create a user.
type UserParams struct {
	Username string
	Name     string
	Email    string
}

var usernameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// CreateUser creates a user (test helper: on Whop users sign up themselves).
func (s *Service) CreateUser(ctx context.Context, p UserParams) (memberd.User, error) {
	if p.Username == "" {
		return memberd.User{}, memberd.Missing("username")
	}
	if !usernameRE.MatchString(p.Username) {
		return memberd.User{}, memberd.Invalid("username", "username must be 1 to 64 letters, digits, '_', '.' or '-'.")
	}
	if p.Email != "" && (!strings.Contains(p.Email, "@") || len(p.Email) > 254) {
		return memberd.User{}, memberd.Invalid("email", "email %q is not an email address.", p.Email)
	}
	u := memberd.User{ID: memberd.NewID(memberd.PrefixUser), Username: p.Username, Name: p.Name, Email: p.Email,
		CreatedAt: s.realNow().UTC().Truncate(time.Millisecond)}
	err := s.store.Update(ctx, func(tx memberd.Tx) error {
		err := tx.InsertUser(ctx, &u)
		if errors.Is(err, memberd.ErrDuplicate) {
			return memberd.Invalid("username", "The username %q is taken.", p.Username)
		}
		return err
	})
	return u, err
}

// User finds a user by id or username. Users are global, as on Whop.
func (s *Service) User(ctx context.Context, idOrUsername string) (memberd.User, error) {
	var u memberd.User
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		if memberd.HasPrefix(idOrUsername, memberd.PrefixUser) {
			u, err = tx.User(ctx, idOrUsername)
		} else {
			u, err = tx.UserByUsername(ctx, idOrUsername)
		}
		return notFound(err, "User", idOrUsername)
	})
	return u, err
}

// Access answers GET /users/{id}/access/{resource}: whether the user has a
// valid membership of the company, product or plan (within the caller's
// company), or owns the company.
func (s *Service) Access(ctx context.Context, companyID, userID, resourceID string) (level string, has bool, err error) {
	err = s.store.View(ctx, func(tx memberd.Tx) error {
		u, err := tx.User(ctx, userID)
		if err != nil {
			return notFound(err, "User", userID)
		}
		f := memberd.MembershipFilter{CompanyID: companyID, UserIDs: []string{u.ID},
			Statuses: []memberd.Status{memberd.StatusTrialing, memberd.StatusActive, memberd.StatusCanceling, memberd.StatusCompleted}}
		switch {
		case resourceID == companyID:
			c, err := tx.Company(ctx, companyID)
			if err != nil {
				return err
			}
			if c.OwnerUserID == u.ID {
				level, has = "admin", true
				return nil
			}
		case memberd.HasPrefix(resourceID, memberd.PrefixProduct):
			if _, err := tx.Product(ctx, companyID, resourceID); err != nil {
				return notFound(err, "Product", resourceID)
			}
			f.ProductIDs = []string{resourceID}
		case memberd.HasPrefix(resourceID, memberd.PrefixPlan):
			if _, err := tx.Plan(ctx, companyID, resourceID); err != nil {
				return notFound(err, "Plan", resourceID)
			}
			f.PlanIDs = []string{resourceID}
		default:
			return memberd.NotFound("Resource", resourceID)
		}
		n, err := tx.CountMemberships(ctx, f)
		if n > 0 {
			level, has = "customer", true
		} else {
			level = "no_access"
		}
		return err
	})
	return level, has, err
}

// Member returns a member of the company.
func (s *Service) Member(ctx context.Context, companyID, id string) (memberd.Member, error) {
	var m memberd.Member
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		m, err = tx.Member(ctx, companyID, id)
		return notFound(err, "Member", id)
	})
	return m, err
}

// ListMembers lists the company's members.
func (s *Service) ListMembers(ctx context.Context, f memberd.MemberFilter, p memberd.PageRequest) (memberd.Page[memberd.Member], error) {
	var page memberd.Page[memberd.Member]
	err := s.store.View(ctx, func(tx memberd.Tx) error {
		var err error
		page, err = tx.ListMembers(ctx, f, p)
		return err
	})
	return page, err
}

// PaymentMethodBehaviors are the behaviors of test payment methods.
var PaymentMethodBehaviors = []string{memberd.BehaviorSucceed, memberd.BehaviorDecline, memberd.BehaviorDeclineRenewals}

// CreatePaymentMethod makes a test payment method, which becomes the user's
// default with the company (renewals use the newest one).
func (s *Service) CreatePaymentMethod(ctx context.Context, companyID, userID, behavior string) (memberd.PaymentMethod, error) {
	if behavior == "" {
		behavior = memberd.BehaviorSucceed
	}
	if !slices.Contains(PaymentMethodBehaviors, behavior) {
		return memberd.PaymentMethod{}, memberd.Invalid("behavior", "behavior must be one of %s.", strings.Join(PaymentMethodBehaviors, ", "))
	}
	var pm memberd.PaymentMethod
	err := s.store.Update(ctx, func(tx memberd.Tx) error {
		c, err := tx.Company(ctx, companyID)
		if err != nil {
			return notFound(err, "Company", companyID)
		}
		if _, err := tx.User(ctx, userID); err != nil {
			return notFound(err, "User", userID)
		}
		pm = memberd.PaymentMethod{ID: memberd.NewID(memberd.PrefixPaymentMethod), CompanyID: companyID, UserID: userID, Behavior: behavior, CreatedAt: s.now(&c)}
		return tx.InsertPaymentMethod(ctx, &pm)
	})
	return pm, err
}
