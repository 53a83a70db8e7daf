package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/webkit"
)

// novoView is the "Criar protocolo" form with what was typed, the files
// kept and the errors found.
type novoView struct {
	Types      []core.WebType
	In         novoInput
	Errs       *webkit.FieldErrors
	Kept       []keptFile
	Token      string
	Notice     string // a message at the top (e.g. the form expired)
	PrivacyURL string
	MaxFiles   int    // of the chosen type, else the default
	MaxFile    string // size limit per file, in words
	Accounts   string // which types name the matrícula otherwise
	DocTypes   string // which types require the CPF/CNPJ
}

// keptFile is a file kept from an earlier attempt.
type keptFile struct {
	ID   int64
	Name string
	Size string
}

// Checked reports whether type code is the one chosen.
func (v *novoView) Checked(code string) bool { return strings.EqualFold(v.In.Type, code) }

// fileLimits are the chosen type's file limits, or the defaults.
func fileLimits(ty *core.WebType) (int, int64) {
	if ty == nil {
		return core.DefaultMaxFiles, core.DefaultMaxFileBytes
	}
	return ty.MaxFiles, ty.MaxFileBytes
}

// newNovoView fills the parts of the view that come from the types.
func (s *server) newNovoView(types []core.WebType, in novoInput, errs *webkit.FieldErrors, token string, kept []core.WebUpload) *novoView {
	v := &novoView{Types: types, In: in, Errs: errs, Token: token, PrivacyURL: s.intake.privacyURL}
	files, size := fileLimits(findType(types, in.Type))
	v.MaxFiles, v.MaxFile = files, sizeText(size)
	v.Kept = keptFiles(kept)
	var acc, docs []string
	for _, t := range types {
		if t.AccountLabel != "" {
			acc = append(acc, t.AccountLabel+" ("+t.Name+")")
		}
		if t.DocumentRequired {
			docs = append(docs, t.Name)
		}
	}
	v.Accounts, v.DocTypes = strings.Join(acc, "; "), strings.Join(docs, ", ")
	return v
}

// keptFiles lists the files a form keeps across posts, as the form shows them.
func keptFiles(kept []core.WebUpload) []keptFile {
	var out []keptFile
	for _, k := range kept {
		out = append(out, keptFile{ID: k.ID, Name: k.Filename, Size: sizeText(k.Size)})
	}
	return out
}

// sizeText writes a byte count as people read it: "10 MB", "350 KB".
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MB"
	case n >= 1<<20:
		return strings.Replace(fmt.Sprintf("%.1f MB", float64(n)/(1<<20)), ".", ",", 1)
	default:
		return strconv.FormatInt((n+1023)/1024, 10) + " KB"
	}
}

// renderNovo renders the form with status (200, or 422 with errors).
func (s *server) renderNovo(w http.ResponseWriter, r *http.Request, status int, v *novoView) {
	s.render(w, status, "novo", &page{Title: "Criar protocolo", OrgName: s.org.Name(r.Context()), Novo: v})
}

// refuse renders an error page with status: a refused submission.
func (s *server) refuse(w http.ResponseWriter, status int, title, msg, detail string) {
	s.render(w, status, "error", &page{Title: title, OrgName: s.org.Peek(),
		Error: &webkit.ErrorView{Kind: "aviso", Title: title, Message: msg, Detail: detail}})
}

// formLimited renders the 429 page of a form submitted too often.
func (s *server) formLimited(w http.ResponseWriter, r *http.Request, who string, wait time.Duration) {
	status, ev := webkit.TooMany(w, wait, "Muitos envios seguidos",
		"Para evitar abusos, limitamos o número de formulários enviados a partir de um mesmo "+who+".")
	s.log.Info("form rate limited", "by", who, "path", r.URL.Path, "retry_after_s", webkit.RetryAfterSeconds(wait))
	s.render(w, status, "error", &page{Title: ev.Title, OrgName: s.org.Peek(), Error: ev})
}

// maskEmail shows enough of an address to recognize it: m***@exemplo.com.br.
func maskEmail(e string) string {
	at := strings.LastIndexByte(e, '@')
	if at < 1 {
		return e
	}
	return e[:1] + "***" + e[at:]
}
