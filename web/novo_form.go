package web

import (
	"net/http"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/webkit"
)

// Field names of the form: a stable interface (scripts, kiosks and partner
// systems post them; issue #14).
const (
	fieldType        = "tipo"
	fieldSubject     = "assunto"
	fieldDescription = "descricao"
	fieldFiles       = "anexos"
	fieldName        = "nome"
	fieldDocument    = "documento"
	fieldAccount     = "matricula"
	fieldPhone       = "telefone"
	fieldEmail       = "email"
	fieldOther       = "outro" // checkbox: on behalf of someone else
	fieldToken       = "form"  // signed form token (hidden)
	fieldHoneypot    = "website"
	fieldRemoveFile  = "remover_anexo" // IDs of kept files to drop
	fieldText        = "texto"         // the message form's text
	fieldKey         = "k"             // the message form's access key (hidden)
	otherPrefix      = "outro_"
)

// Limits of the text fields, in characters.
const (
	maxSubject     = 200
	maxDescription = 20000
	maxName        = 200
	maxShortField  = 64
)

// allowedTypes are the sniffed media types accepted as attachments:
// documents, pictures and short videos; never HTML, scripts or executables.
var allowedTypes = []string{
	"application/pdf", "image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp",
	"text/plain", "text/csv", "video/mp4", "audio/mpeg", "audio/wave",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
}

// personInput is one requester block as typed.
type personInput struct {
	Name, Document, Account, Phone, Email string
}

// novoInput is the form as typed, trimmed.
type novoInput struct {
	Type, Subject, Description string
	Requester                  personInput
	Other                      bool
	OtherPerson                personInput
}

func readPerson(r *http.Request, prefix string) personInput {
	return personInput{
		Name:     webkit.Field(r, prefix+fieldName),
		Document: webkit.Field(r, prefix+fieldDocument),
		Account:  webkit.Field(r, prefix+fieldAccount),
		Phone:    webkit.Field(r, prefix+fieldPhone),
		Email:    webkit.Field(r, prefix+fieldEmail),
	}
}

func readNovo(r *http.Request) novoInput {
	in := novoInput{
		Type:        strings.ToUpper(webkit.Field(r, fieldType)),
		Subject:     webkit.Field(r, fieldSubject),
		Description: webkit.Field(r, fieldDescription),
		Requester:   readPerson(r, ""),
		OtherPerson: readPerson(r, otherPrefix),
	}
	switch strings.ToLower(webkit.Field(r, fieldOther)) {
	case "", "0", "false", "off", "nao", "não":
	default:
		in.Other = true
	}
	return in
}

// findType returns the form's type with code, or nil.
func findType(types []core.WebType, code string) *core.WebType {
	i := slices.IndexFunc(types, func(t core.WebType) bool { return strings.EqualFold(t.Code, code) })
	if i < 0 {
		return nil
	}
	return &types[i]
}

// validate checks the typed fields (not the files) and returns the type
// chosen (nil when none is valid) and the normalized people.
func (in *novoInput) validate(types []core.WebType, errs *webkit.FieldErrors) (*core.WebType, core.Person, *core.Person) {
	ty := findType(types, in.Type)
	switch {
	case in.Type == "":
		errs.Add(fieldType, "Escolha o tipo de pedido.")
	case ty == nil:
		errs.Add(fieldType, "Tipo de pedido desconhecido: escolha um da lista.")
	}
	textField(errs, fieldSubject, in.Subject, maxSubject, "Informe o assunto, em poucas palavras.")
	textField(errs, fieldDescription, in.Description, maxDescription, "Descreva o seu pedido.")
	docRequired := ty != nil && ty.DocumentRequired
	req := checkPerson(errs, "", in.Requester, true, docRequired)
	var other *core.Person
	switch {
	case in.Other:
		o := checkPerson(errs, otherPrefix, in.OtherPerson, false, false)
		other = &o
	case in.OtherPerson != personInput{}:
		// Typed but not ticked: ask, rather than drop what was typed or
		// guess whose request it is.
		errs.Add(fieldOther, "Você preencheu dados de outra pessoa: marque esta opção se o pedido é em nome dela, ou apague esses dados.")
	}
	return ty, req, other
}

// textField checks a required text field's presence and length.
func textField(errs *webkit.FieldErrors, name, v string, max int, missing string) {
	switch n := utf8.RuneCountInString(v); {
	case n == 0:
		errs.Add(name, missing)
	case n > max:
		errs.Add(name, "Texto longo demais: no máximo "+strconv.Itoa(max)+" caracteres (há "+strconv.Itoa(n)+").")
	}
}

// checkPerson validates one requester block; emailRequired for the
// requester (the e-mail is the channel), docRequired where the type says so.
func checkPerson(errs *webkit.FieldErrors, prefix string, p personInput, emailRequired, docRequired bool) core.Person {
	out := core.Person{Name: p.Name, Account: p.Account, Phone: p.Phone}
	textField(errs, prefix+fieldName, p.Name, maxName, "Informe o nome ou a razão social.")
	switch {
	case p.Document == "" && docRequired:
		errs.Add(prefix+fieldDocument, "Informe o CPF ou CNPJ: este tipo de pedido exige.")
	case p.Document != "":
		norm, _, err := core.NormalizeDocument(p.Document)
		if err != nil {
			errs.Add(prefix+fieldDocument, "CPF ou CNPJ inválido: confira os números e os dígitos verificadores.")
		}
		out.Document = norm
	}
	if utf8.RuneCountInString(p.Account) > maxShortField {
		errs.Add(prefix+fieldAccount, "No máximo "+strconv.Itoa(maxShortField)+" caracteres.")
	}
	if p.Phone != "" && !validPhone(p.Phone) {
		errs.Add(prefix+fieldPhone, "Telefone inválido: informe DDD e número, por exemplo (82) 99999-1234.")
	}
	switch {
	case p.Email == "" && emailRequired:
		errs.Add(prefix+fieldEmail, "Informe o e-mail: é por ele que você confirma o pedido e recebe as respostas.")
	case p.Email != "":
		e, ok := validEmail(p.Email)
		if !ok {
			errs.Add(prefix+fieldEmail, "E-mail inválido: confira, por exemplo nome@exemplo.com.br.")
		}
		out.Email = e
	}
	return out
}

// validPhone accepts 8 to 15 digits with the usual punctuation.
func validPhone(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +()-.", r):
		default:
			return false
		}
	}
	return digits >= 8 && digits <= 15 && len(s) <= maxShortField
}

// validEmail checks a bare address (RFC 5322 addr-spec, no display name)
// with a dotted domain, and returns it lower-cased.
func validEmail(s string) (string, bool) {
	if len(s) > 254 || strings.ContainsAny(s, " <>,;\"") {
		return "", false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return "", false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	if at < 1 || !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", false
	}
	return strings.ToLower(s), true
}
