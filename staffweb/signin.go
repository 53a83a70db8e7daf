package staffweb

import (
	"errors"
	"net/http"
	"strings"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/webkit"
)

// maxSignInBytes caps a sign-in form.
const maxSignInBytes = 16 << 10

func (s *server) signInView(r *http.Request) view {
	v := s.base(r, "Entrar")
	v.Staff, v.IsAdmin = nil, false
	v.OIDC = s.oidc != nil
	return v
}

// signInShow is GET /gestao/entrar.
func (s *server) signInShow(w http.ResponseWriter, r *http.Request) {
	v := s.signInView(r)
	switch r.URL.Query().Get("aviso") {
	case "saiu":
		v.Notice = "Você saiu da página de trâmites."
	case "saiu-todas":
		v.Notice = "Você saiu de todas as sessões, neste e nos outros aparelhos."
	case "link":
		v.Notice = "Se o endereço estiver cadastrado, enviamos um link para entrar. Ele vale por 15 minutos."
	case "oidc":
		v.Alert = "Não foi possível entrar com a conta institucional. Tente de novo ou use outro modo."
	}
	s.render(w, http.StatusOK, "entrar", v)
}

// signInPassword is POST /gestao/entrar (email, senha, codigo).
func (s *server) signInPassword(w http.ResponseWriter, r *http.Request) {
	if err := webkit.ReadForm(w, r, maxSignInBytes); err != nil {
		s.fail(w, r, http.StatusBadRequest, "Pedido inválido", "O formulário não pôde ser lido.")
		return
	}
	defer webkit.RemoveForm(r)
	email := webkit.Field(r, "email")
	sess, err := s.svc.SignInPassword(r.Context(), core.SignIn{Email: email, Password: r.PostFormValue("senha"),
		Code: webkit.Field(r, "codigo"), Client: s.client(r)})
	if err != nil {
		v := s.signInView(r)
		v.Email = email
		status := http.StatusUnauthorized
		switch {
		case errors.Is(err, core.ErrThrottled):
			status = http.StatusTooManyRequests
			w.Header().Set("Retry-After", "900")
			v.Alert = "Muitas tentativas sem sucesso. Espere 15 minutos ou peça um link por e-mail."
		case errors.Is(err, core.ErrTOTPRequired):
			v.Alert = "Informe também o código de 6 dígitos do aplicativo autenticador."
		case errors.Is(err, core.ErrSecondFactorRequired):
			status = http.StatusForbidden
			v.Alert = "Esta conta precisa de senha e do código do aplicativo autenticador, que ainda não foi configurado. " +
				"Peça a um administrador que o configure (tramita staff totp) ou entre com a conta institucional, se houver."
		case errors.Is(err, core.ErrSignInFailed):
			v.Alert = "E-mail, senha ou código não conferem."
		default:
			s.failErr(w, r, err)
			return
		}
		s.render(w, status, "entrar", v)
		return
	}
	setSession(w, sess.Token)
	http.Redirect(w, r, back(r), http.StatusSeeOther)
}

// signInLinkRequest is POST /gestao/entrar/link (email): mails a one-time
// link when the address is a staff member's; the answer is the same either way.
func (s *server) signInLinkRequest(w http.ResponseWriter, r *http.Request) {
	if err := webkit.ReadForm(w, r, maxSignInBytes); err != nil {
		s.fail(w, r, http.StatusBadRequest, "Pedido inválido", "O formulário não pôde ser lido.")
		return
	}
	defer webkit.RemoveForm(r)
	email := webkit.Field(r, "email")
	err := s.svc.RequestSignInLink(r.Context(), email, s.client(r), s.baseURL(r)+"/gestao/entrar/link/")
	if err != nil && !errors.Is(err, core.ErrThrottled) {
		s.failErr(w, r, err)
		return
	}
	http.Redirect(w, r, "/gestao/entrar?aviso=link", http.StatusSeeOther)
}

// signInLinkShow is GET /gestao/entrar/link/{token}: it only shows a
// button (mail scanners fetch links with GET and must not sign anyone in).
func (s *server) signInLinkShow(w http.ResponseWriter, r *http.Request) {
	token := r.PathValue("token")
	ok, err := s.svc.SignInLinkValid(r.Context(), token)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	v := s.signInView(r)
	v.Title, v.LinkValid, v.Action = "Entrar com o link", ok, "/gestao/entrar/link/"+token
	status := http.StatusOK
	if !ok {
		status = http.StatusGone
	}
	s.render(w, status, "entrar_link", v)
}

// signInLinkUse is POST /gestao/entrar/link/{token}.
func (s *server) signInLinkUse(w http.ResponseWriter, r *http.Request) {
	sess, err := s.svc.SignInWithLink(r.Context(), r.PathValue("token"), s.client(r))
	if err != nil {
		if errors.Is(err, core.ErrSignInFailed) || errors.Is(err, core.ErrThrottled) || errors.Is(err, core.ErrSecondFactorRequired) {
			v := s.signInView(r)
			v.Title = "Entrar com o link"
			if errors.Is(err, core.ErrSecondFactorRequired) {
				v.Alert = "Esta conta entra com senha e código do aplicativo autenticador; o link não vale para ela."
			}
			s.render(w, http.StatusGone, "entrar_link", v)
			return
		}
		s.failErr(w, r, err)
		return
	}
	setSession(w, sess.Token)
	http.Redirect(w, r, "/gestao", http.StatusSeeOther)
}

// signOut is POST /gestao/sair.
func (s *server) signOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(CookieName); err == nil && strings.TrimSpace(c.Value) != "" {
		if err := s.svc.SignOut(r.Context(), c.Value, s.client(r)); err != nil {
			s.failErr(w, r, err)
			return
		}
	}
	clearCookie(w)
	http.Redirect(w, r, "/gestao/entrar?aviso=saiu", http.StatusSeeOther)
}

// signOutEverywhere is POST /gestao/sair/todas: ends every session of the
// signed-in staff member, this one included.
func (s *server) signOutEverywhere(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(CookieName); err == nil && strings.TrimSpace(c.Value) != "" {
		if _, err := s.svc.SignOutEverywhere(r.Context(), c.Value, s.client(r)); err != nil {
			s.failErr(w, r, err)
			return
		}
	}
	clearCookie(w)
	http.Redirect(w, r, "/gestao/entrar?aviso=saiu-todas", http.StatusSeeOther)
}
