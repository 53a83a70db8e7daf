package web

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/webkit"
)

// attachmentDownload is GET /p/{number}/anexos/{id}?k=KEY: a file of a
// public step, only with the protocol's access key. No key, a wrong key, a
// private step's file and an unknown file all give the same 404 with the
// same page, so the answer is no oracle (no key is refused before any
// database access). The file is always an
// attachment (never rendered by the browser), with nosniff, and HTML, SVG,
// XML and script types are served as application/octet-stream.
func (s *server) attachmentDownload(w http.ResponseWriter, r *http.Request) {
	n, err := core.ParseNumber(r.PathValue("number"))
	if err != nil {
		s.downloadError(w, r, http.StatusBadRequest, "Número inválido", msgNumberInvalid)
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	key := r.URL.Query().Get("k")
	if err != nil || id <= 0 || strings.TrimSpace(key) == "" {
		s.fileUnavailable(w, r)
		return
	}
	c, err := s.svc.PublicAttachment(r.Context(), n, id, key)
	if errors.Is(err, core.ErrNotFound) {
		s.fileUnavailable(w, r)
		return
	}
	if err != nil {
		s.unavailable(w, r, err)
		return
	}
	webkit.Download(w, c.Filename, safeContentType(c.ContentType), c.Content)
}

// fileUnavailable is the one answer to a download refused for any reason
// but a malformed number: no key, a wrong key, a private or unknown file.
func (s *server) fileUnavailable(w http.ResponseWriter, r *http.Request) {
	s.downloadError(w, r, http.StatusNotFound, "Arquivo indisponível",
		"O arquivo não existe, não é público ou a chave de acesso não confere. "+
			"Os arquivos são baixados pelo link com a chave de acesso enviado por e-mail ao requerente.")
}

// downloadError renders a download refusal (the organization name from
// the cache: no database access).
func (s *server) downloadError(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	s.render(w, status, "error", &page{Title: title, OrgName: s.org.Peek(),
		Error: &webkit.ErrorView{Kind: "aviso", Title: title, Message: msg}})
}

// safeContentType returns the stored media type to serve, or
// application/octet-stream for anything a browser might run or render as a
// document (HTML, SVG and other XML, scripts) or cannot parse.
func safeContentType(stored string) string {
	const octet = "application/octet-stream"
	mt, params, err := mime.ParseMediaType(stored)
	if err != nil {
		return octet
	}
	mt = strings.ToLower(mt)
	switch {
	case !strings.Contains(mt, "/"):
		return octet
	case mt == "text/html", mt == "text/xml", mt == "text/xsl", mt == "application/xml",
		strings.HasSuffix(mt, "+xml"), strings.Contains(mt, "script"), strings.Contains(mt, "html"),
		strings.HasPrefix(mt, "multipart/"), mt == "application/x-shockwave-flash", mt == "text/cache-manifest":
		return octet
	}
	if strings.HasPrefix(mt, "text/") {
		if cs := strings.ToLower(params["charset"]); cs != "" && isToken(cs) {
			return mt + "; charset=" + cs
		}
	}
	return mt
}

func isToken(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == ':') {
			return false
		}
	}
	return s != ""
}
