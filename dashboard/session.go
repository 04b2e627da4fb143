package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/memberd/memberd"
)

// Sign-in. The session cookie holds a random nonce and the API key itself
// (HttpOnly, SameSite=Strict, Secure over TLS); every request checks the key
// with the service's Authenticate, so a key is as good in the dashboard as it
// is in the API, no more. No session state is kept on the server.
//
// CSRF: every form carries HMAC-SHA256(key: the API key, message: the
// session's nonce), which only pages rendered for this session know; a post
// without it changes nothing. The sign-in form, before there is a session,
// uses a double-submitted random token (a cookie and a hidden field that
// must match). Cross-origin posts are refused before either check, by
// net/http's CrossOriginProtection.

const (
	sessionCookie = "memberd_session"
	signInCookie  = "memberd_signin"
)

// session is a signed-in browser: the API key and the session's nonce.
type session struct {
	key    memberd.APIKey
	secret string
	nonce  string
}

// Key is the session's API key (for templates).
func (s *session) Key() memberd.APIKey { return s.key }

// token is the CSRF token of the session's forms.
func (s *session) token() string {
	mac := hmac.New(sha256.New, []byte(s.secret))
	mac.Write([]byte("memberd dashboard form\x00" + s.nonce))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func (s *session) validToken(t string) bool {
	return t != "" && hmac.Equal([]byte(t), []byte(s.token()))
}

// session authenticates the request's session cookie.
func (d *site) session(r *http.Request) (*session, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, false
	}
	nonce, secret, ok := strings.Cut(c.Value, ".")
	if !ok || nonce == "" {
		return nil, false
	}
	k, err := d.svc.Authenticate(r.Context(), secret)
	if err != nil {
		return nil, false
	}
	return &session{key: k, secret: secret, nonce: nonce}, true
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}

// signInView is the sign-in page's data.
type signInView struct {
	Token string
	Next  string
}

func (d *site) signInPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := d.session(r); ok {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	d.renderSignIn(w, r, http.StatusOK, "")
}

func (d *site) renderSignIn(w http.ResponseWriter, r *http.Request, status int, msg string) {
	token := randomToken()
	setCookie(w, r, signInCookie, token, 3600)
	next := r.URL.Query().Get("next")
	if r.Method == http.MethodPost {
		next = r.PostFormValue("next")
	}
	d.render(w, r, nil, status, "signin", view{Title: "Sign in", Error: msg, Page: signInView{Token: token, Next: localPath(next)}})
}

func (d *site) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	c, err := r.Cookie(signInCookie)
	field := r.PostFormValue("csrf")
	if d.cop.Check(r) != nil || err != nil || field == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(field)) != 1 {
		d.renderSignIn(w, r, http.StatusForbidden, errForgedForm.Message)
		return
	}
	secret := strings.TrimSpace(r.PostFormValue("api_key"))
	if _, err := d.svc.Authenticate(r.Context(), secret); err != nil {
		status, msg := d.apiError(r, err)
		d.renderSignIn(w, r, status, msg)
		return
	}
	setCookie(w, r, sessionCookie, randomToken()+"."+secret, 0)
	setCookie(w, r, signInCookie, "", -1)
	http.Redirect(w, r, localPath(r.PostFormValue("next")), http.StatusSeeOther)
}

func (d *site) signOut(w http.ResponseWriter, r *http.Request, s *session) error {
	setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
	return nil
}

// localPath is next if it is a path on this site, else "/": sign-in never
// sends anyone elsewhere.
func localPath(next string) string {
	u, err := url.Parse(next)
	if err != nil || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, `/\`) ||
		u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return next
}
