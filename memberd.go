// Package memberd is the domain of a self-hostable, Whop-compatible
// memberships server: companies, products, plans, users, members,
// memberships and payments, the lifecycle rules that move a membership
// through time (pure functions of state and instant), and the interfaces the
// adapters implement (storage, payment processing).
//
// Adapters live in their own packages: sqlite and postgres (storage),
// httpapi (Whop's REST surfaces), webhook (delivery), and cmd/memberd wires
// them together.
package memberd
