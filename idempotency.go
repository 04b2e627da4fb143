package memberd

import "time"

// IdempotencyRecord is a stored Idempotency-Key: the request that first
// used the key and, once it is answered, the response, which every later
// request with the key gets again. A key is scoped to a company and an
// endpoint; its times are real time, never a company's test clock.
type IdempotencyRecord struct {
	CompanyID string
	Endpoint  string // method and path: "POST /api/v1/memberships/mem_.../cancel"
	Key       string
	// Fingerprint is a hash of the request (method, path, query, body):
	// the key answers only requests with the same one.
	Fingerprint string
	// Token names the request holding the key while it runs; the hold
	// lapses at LeaseUntil unless the request extends it, so a node that
	// dies mid-request does not keep the key forever.
	Token      string
	LeaseUntil time.Time
	// ExpiresAt is when the record may be deleted and the key used afresh.
	ExpiresAt time.Time
	// Response is the answer, nil while the request runs.
	Response *StoredResponse
}

// StoredResponse is an HTTP response kept for replay.
type StoredResponse struct {
	Status int
	Header map[string][]string
	Body   []byte
}

// Holds reports whether the record keeps its key from a new request at now:
// it has not expired and it is answered or its request's lease holds.
func (r *IdempotencyRecord) Holds(now time.Time) bool {
	return now.Before(r.ExpiresAt) && (r.Response != nil || now.Before(r.LeaseUntil))
}
