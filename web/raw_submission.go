package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/tramita/tramita/core"
)

// rawForm is a web form written as an RFC 5322 message, the raw record of
// what arrived (kept in raw_messages as mail is): the text as its first
// part, every field as a JSON part (formulario.json), then the files.
type rawForm struct {
	From      core.Address // the requester (the form's nome and e-mail); empty Email for the message form
	To        string       // the organization's address
	Subject   string
	MessageID string // core.WebMessageID
	Form      string // which form: /novo, /p/{number}/mensagem
	Client    string // the client address key
	Date      time.Time
	Text      string
	Fields    any // written as formulario.json
	Files     []core.InboundAttachment
}

// bytes renders f with go-message.
func (f rawForm) bytes() ([]byte, error) {
	var h mail.Header
	h.SetDate(f.Date)
	h.SetSubject(f.Subject)
	h.SetMessageID(f.MessageID)
	from := &mail.Address{Name: f.From.Name, Address: f.From.Email}
	if f.From.Email == "" {
		from = &mail.Address{Name: "Formulário do site", Address: f.To}
	}
	h.SetAddressList("From", []*mail.Address{from})
	h.SetAddressList("To", []*mail.Address{{Address: f.To}})
	h.Set("X-Tramita-Source", core.SourceWeb)
	h.Set("X-Tramita-Form", f.Form)
	h.Set("X-Tramita-Client", f.Client)
	var buf bytes.Buffer
	w, err := mail.CreateWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("writing raw form: %w", err)
	}
	var th mail.InlineHeader
	th.Set("Content-Type", "text/plain; charset=utf-8")
	tw, err := w.CreateSingleInline(th)
	if err != nil {
		return nil, fmt.Errorf("writing raw form: %w", err)
	}
	_, _ = io.WriteString(tw, f.Text)
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("writing raw form: %w", err)
	}
	fields, err := json.MarshalIndent(f.Fields, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("writing raw form: %w", err)
	}
	parts := append([]core.InboundAttachment{{Filename: "formulario.json", ContentType: "application/json", Data: fields}}, f.Files...)
	for _, a := range parts {
		var ah mail.AttachmentHeader
		ah.Set("Content-Type", a.ContentType)
		ah.SetFilename(a.Filename)
		aw, err := w.CreateAttachment(ah)
		if err != nil {
			return nil, fmt.Errorf("writing raw form: %w", err)
		}
		_, _ = aw.Write(a.Data)
		if err := aw.Close(); err != nil {
			return nil, fmt.Errorf("writing raw form: %w", err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("writing raw form: %w", err)
	}
	return buf.Bytes(), nil
}
