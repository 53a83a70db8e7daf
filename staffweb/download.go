package staffweb

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/webkit"
	"github.com/tramita/tramita/mailin"
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
	webkit.Download(w, f.Filename, "application/octet-stream", f.Content)
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
	webkit.Download(w, name, "message/rfc822", raw)
}

// decodedMessage is a raw message as the "ver mensagem original" page shows it.
type decodedMessage struct {
	From, To, Cc, Date, Subject string
	Text                        string
	Files                       []string
	// Problems are what the parser could not read (mailin.Message.Problems).
	Problems []string
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

// decode reads raw with the intake's parser (mailin.Parse), so the page
// has the same limits on hostile mail as intake (multipart nesting, parts,
// header size; go-message's own reader walks a deeply nested message in
// quadratic time), the same charset handling and the same text; what the
// parser could not read is listed, not fatal.
func decode(raw []byte) *decodedMessage {
	p := mailin.Parse(raw)
	var from []mailin.Address
	if p.From != nil {
		from = append(from, *p.From)
	}
	m := &decodedMessage{From: addressList(from), To: addressList(p.To), Cc: addressList(p.Cc),
		Subject: p.Subject, Text: p.Text, Problems: p.Problems}
	if !p.Date.IsZero() {
		m.Date = p.Date.Format("02/01/2006 15:04 -0700")
	}
	for _, a := range p.Attachments {
		m.Files = append(m.Files, core.SafeFilename(a.Filename))
	}
	if m.Text == "" {
		m.Text = "(sem texto; baixe o .eml para ver a mensagem como chegou)"
	}
	return m
}

// addressList shows mailboxes as "Name <address>", comma-separated.
func addressList(as []mailin.Address) string {
	var out []string
	for _, a := range as {
		if a.Name == "" {
			out = append(out, "<"+a.Email+">")
			continue
		}
		out = append(out, a.Name+" <"+a.Email+">")
	}
	return strings.Join(out, ", ")
}
