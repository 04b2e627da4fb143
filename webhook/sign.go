// Package webhook signs and verifies memberd's webhook requests (Standard
// Webhooks, as Whop sends them), decides which URLs memberd may deliver to,
// and renders payloads per api_version.
//
// Signing: each request carries webhook-id (the message id, the envelope's
// id), webhook-timestamp (Unix seconds of the attempt) and
// webhook-signature "v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">".
// The HMAC key of a Whop-style "ws_..." secret is the secret's own bytes,
// which is what the official SDK verifies when given webhookKey:
// btoa(secret). A Standard Webhooks "whsec_<base64>" secret is accepted too;
// its key is the base64-decoded part.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of Standard Webhooks.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// Secret prefixes.
const (
	prefixWhop     = "ws_"
	prefixStandard = "whsec_"
)

// NewSecret returns a new signing secret: "ws_" and 64 hex digits (256
// random bits), the form Whop issues.
func NewSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return prefixWhop + hex.EncodeToString(b[:])
}

// Key returns the HMAC key of a secret: the base64-decoded part of a
// "whsec_" secret, else the secret's own bytes.
func Key(secret string) ([]byte, error) {
	if rest, ok := strings.CutPrefix(secret, prefixStandard); ok {
		k, err := base64.StdEncoding.DecodeString(rest)
		if err != nil || len(k) == 0 {
			return nil, errors.New("webhook: a whsec_ secret must be whsec_ followed by base64")
		}
		return k, nil
	}
	if secret == "" {
		return nil, errors.New("webhook: empty secret")
	}
	return []byte(secret), nil
}

// ValidSecret reports whether s is a secret memberd accepts.
func ValidSecret(s string) bool {
	if rest, ok := strings.CutPrefix(s, prefixWhop); ok {
		_, err := hex.DecodeString(rest)
		return len(rest) == 64 && err == nil
	}
	_, err := Key(s)
	return strings.HasPrefix(s, prefixStandard) && err == nil
}

// Signer signs with one secret's key.
type Signer struct{ key []byte }

// NewSigner returns a signer for secret.
func NewSigner(secret string) (Signer, error) {
	k, err := Key(secret)
	return Signer{k}, err
}

// Signature returns "v1,<base64>" for the message.
func (s Signer) Signature(msgID string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, s.key)
	mac.Write(signedPrefix(msgID, ts))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func signedPrefix(msgID string, ts time.Time) []byte {
	b := make([]byte, 0, len(msgID)+24)
	b = append(b, msgID...)
	b = append(b, '.')
	b = strconv.AppendInt(b, ts.Unix(), 10)
	return append(b, '.')
}

// SetHeaders sets the three Standard Webhooks headers on h.
func (s Signer) SetHeaders(h http.Header, msgID string, ts time.Time, body []byte) {
	h.Set(HeaderID, msgID)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, s.Signature(msgID, ts, body))
}

// Tolerance is how far a verified timestamp may be from now, as in the
// Standard Webhooks libraries.
const Tolerance = 5 * time.Minute

// Verify checks a request's Standard Webhooks headers against body: one of
// the space-separated v1 signatures must match (compared in constant time)
// and the timestamp must be within Tolerance of now. It is what a Go
// receiver of memberd's webhooks runs.
func Verify(secret string, h http.Header, body []byte, now time.Time) error {
	s, err := NewSigner(secret)
	if err != nil {
		return err
	}
	id, tsText, sigs := h.Get(HeaderID), h.Get(HeaderTimestamp), h.Get(HeaderSignature)
	if id == "" || tsText == "" || sigs == "" {
		return errors.New("webhook: missing required headers")
	}
	sec, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return errors.New("webhook: invalid signature headers")
	}
	ts := time.Unix(sec, 0)
	if d := now.Sub(ts); d > Tolerance || d < -Tolerance {
		return fmt.Errorf("webhook: timestamp %s is not within %s of now", ts.UTC().Format(time.RFC3339), Tolerance)
	}
	want := []byte(s.Signature(id, ts, body))
	for _, sig := range strings.Fields(sigs) {
		if hmac.Equal([]byte(sig), want) {
			return nil
		}
	}
	return errors.New("webhook: no matching signature found")
}
