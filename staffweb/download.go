package staffweb

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	_ "github.com/emersion/go-message/charset" // ISO-8859-1 and other charsets of old mail
	"github.com/emersion/go-message/mail"
	"github.com/tramita/tramita/internal/webkit"
)

// attachmentDownload is GET /gestao/p/{number}/anexos/{id}: any file of the
// protocol, for staff who may see it, always as a download in a sandbox.
func (s *server) attachmentDownload(w http.ResponseWriter, r *http.Request) {
	n, ok := s.number(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return
	}
	st, _ := staffFrom(r)
	f, err := s.svc.StaffAttachment(r.Context(), st, n, id)
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	download(w, f.Filename, "application/octet-stream", f.Content)
}

// download sends content as an attachment that the browser never renders.
func download(w http.ResponseWriter, filename, contentType string, content []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	h.Set("Content-Security-Policy", webkit.ContentSecurityPolicy+"; sandbox")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Length", strconv.Itoa(len(content)))
	_, _ = w.Write(content)
}

func (s *server) rawMessage(w http.ResponseWriter, r *http.Request) ([]byte, string, int, bool) {
	n, ok := s.number(w, r)
	if !ok {
		return nil, "", 0, false
	}
	step, err := strconv.Atoi(r.PathValue("step"))
	if err != nil || step < 1 {
		s.notFound(w, r)
		return nil, "", 0, false
	}
	st, _ := staffFrom(r)
	raw, err := s.svc.StaffRawMessage(r.Context(), st, n, step)
	if err != nil {
		s.failErr(w, r, err)
		return nil, "", 0, false
	}
	return raw, n.String(), step, true
}

// messageDownload is GET /gestao/p/{number}/mensagens/{step}/eml: the raw
// message behind a step, byte for byte.
func (s *server) messageDownload(w http.ResponseWriter, r *http.Request) {
	raw, number, step, ok := s.rawMessage(w, r)
	if !ok {
		return
	}
	name := fmt.Sprintf("protocolo-%s-tramite-%d.eml", strings.NewReplacer(".", "", "/", "-").Replace(number), step)
	download(w, name, "message/rfc822", raw)
}

// decodedMessage is a raw message as the "ver mensagem original" page shows it.
type decodedMessage struct {
	From, To, Cc, Date, Subject string
	Text                        string
	Files                       []string
}

// messageShow is GET /gestao/p/{number}/mensagens/{step}: the original
// message decoded (headers, every text part, the names of its files).
func (s *server) messageShow(w http.ResponseWriter, r *http.Request) {
	raw, number, step, ok := s.rawMessage(w, r)
	if !ok {
		return
	}
	v := s.base(r, fmt.Sprintf("Mensagem original do trâmite %d", step))
	v.Number, v.StepN, v.Message = number, step, decode(raw)
	s.render(w, http.StatusOK, "mensagem", v)
}

// decode reads what it can of raw; a part it cannot read is named, not fatal.
func decode(raw []byte) *decodedMessage {
	m := &decodedMessage{}
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if mr == nil {
		m.Text = "(não foi possível ler a mensagem: " + err.Error() + "; baixe o .eml)"
		return m
	}
	defer mr.Close()
	h := mr.Header
	addrs := func(key string) string {
		l, err := h.AddressList(key)
		if err != nil || len(l) == 0 {
			v, _ := h.Text(key)
			return v
		}
		var out []string
		for _, a := range l {
			out = append(out, a.String())
		}
		return strings.Join(out, ", ")
	}
	m.From, m.To, m.Cc = addrs("From"), addrs("To"), addrs("Cc")
	m.Subject, _ = h.Subject()
	if d, err := h.Date(); err == nil {
		m.Date = d.Format("02/01/2006 15:04 -0700")
	}
	var texts []string
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		switch ph := p.Header.(type) {
		case *mail.InlineHeader:
			ct, _, _ := ph.ContentType()
			b, _ := io.ReadAll(io.LimitReader(p.Body, 2<<20))
			if ct == "text/plain" || ct == "" {
				texts = append(texts, string(b))
			} else if ct != "text/html" {
				m.Files = append(m.Files, ct)
			}
		case *mail.AttachmentHeader:
			name, _ := ph.Filename()
			m.Files = append(m.Files, name)
		}
	}
	m.Text = strings.Join(texts, "\n\n")
	if m.Text == "" {
		m.Text = "(sem texto simples; baixe o .eml para ver o HTML)"
	}
	return m
}
