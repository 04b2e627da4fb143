package memberd

import "time"

// User is a person with a Whop account; users are global, not per company.
type User struct {
	Seq       int64
	ID        string
	Username  string
	Name      string
	Email     string
	CreatedAt time.Time
}

// Member links a user to a company; checkout creates it on first purchase.
type Member struct {
	Seq       int64
	ID        string
	CompanyID string
	UserID    string
	CreatedAt time.Time
	JoinedAt  time.Time
	UpdatedAt time.Time
	// Joined, for rendering.
	User         User
	CompanyTitle string
	TotalSpent   Money
	HasAccess    bool
}

// PaymentMethod is a test-mode card: its behavior decides every charge.
type PaymentMethod struct {
	ID        string
	CompanyID string
	UserID    string
	Behavior  string // succeed, decline or decline_renewals
	CreatedAt time.Time
}

// Payment-method behaviors of the test processor.
const (
	BehaviorSucceed         = "succeed"
	BehaviorDecline         = "decline"
	BehaviorDeclineRenewals = "decline_renewals"
)
