package staffweb

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/tramita/tramita/core"
)

type staffKey struct{}

// staffFrom returns the signed-in staff member of a request that passed staff.
func staffFrom(r *http.Request) (core.Staff, bool) {
	st, ok := r.Context().Value(staffKey{}).(core.Staff)
	return st, ok
}

// staff lets only signed-in staff through: a request without a live
// session goes to the sign-in page (GET) or is refused (POST). The staff
// member is read again from the database on every request, so a role or
// unit change, or a deactivation, takes effect at once.
func (s *server) staff(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(CookieName)
		token := ""
		if err == nil {
			token = c.Value
		}
		st, err := s.svc.SessionStaff(r.Context(), token)
		if err != nil {
			if !errors.Is(err, core.ErrSessionEnded) {
				s.failErr(w, r, err)
				return
			}
			if token != "" {
				clearCookie(w)
			}
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/gestao/entrar?volta="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.fail(w, r, http.StatusUnauthorized, "Sessão encerrada", "Sua sessão terminou. Entre de novo para continuar; nada foi aplicado.")
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), staffKey{}, st)))
	}
}

// admin lets only administrators through.
func (s *server) admin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if st, _ := staffFrom(r); st.Role != core.RoleAdmin {
			s.fail(w, r, http.StatusForbidden, "Sem permissão", "Esta página é só para administradores.")
			return
		}
		next(w, r)
	}
}

// setSession sets the session cookie: __Host- prefix, Secure (browsers
// accept Secure cookies on http://localhost and 127.0.0.1, which the
// prefix requires), HttpOnly, SameSite=Lax, no Max-Age (the server ends
// the session; the browser forgets it when closed).
func setSession(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: token, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// back returns the local path to return to after sign-in (?volta=), only
// a path under /gestao (no open redirect).
func back(r *http.Request) string {
	v := r.FormValue("volta")
	u, err := url.Parse(v)
	if v == "" || err != nil || u.IsAbs() || u.Host != "" || u.Opaque != "" || !strings.HasPrefix(v, "/") || strings.HasPrefix(v, "//") {
		return "/gestao"
	}
	// Cleaned as http.Redirect will clean it: "/gestao/../x" is "/x".
	p := path.Clean(u.Path)
	if p != "/gestao" && !strings.HasPrefix(p, "/gestao/") {
		return "/gestao"
	}
	u.Path, u.RawPath, u.Fragment = p, "", ""
	return u.RequestURI()
}
