package web

import (
	"crypto/rand"
	"github.com/tramita/tramita/internal/webkit"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tramita/tramita/core"
)

// protocolView is a core.PublicView made ready for the page: labels in
// pt-BR, dates in the organization's time zone, dispatches as safe HTML.
type protocolView struct {
	Number string
	Digits string // the number in URLs
	Full   bool
	// Wrong: a key or a CPF/CNPJ was given and did not open the page
	// ("chave incorreta", the same words for both so nothing tells which).
	Wrong       bool
	StatusClass string // aberto, sobrestado, concluido
	StatusLabel string
	Subject     string
	TypeName    string
	UnitName    string
	OpenedAt    dateView
	UpdatedAt   dateView
	Deadline    *deadlineView
	// LegalDeadline is the "Prazo de resposta" the law gives the body
	// (number level); nil when the type has none.
	LegalDeadline *deadlineView
	LegalBasis    string
	Result        string   // conclusion result, public
	Documents     []string // masked
	Steps         []stepView
	MessageURL    string // "Enviar mensagem / complementar", with the key; "" without one or without the form
}

type dateView struct {
	Text string // 10/03/2026 12:00
	ISO  string // RFC 3339, for <time datetime>
}

type deadlineView struct {
	dateView
	Note      string // vencido, suspenso
	NoteClass string
}

type stepView struct {
	Label      string
	Internal   bool
	At         dateView
	Units      string
	HTML       template.HTML
	Images     []fileView // inline images not placed in the text
	Files      []fileView
	DownloadOK bool // file links carry a valid key
}

type fileView struct {
	Name string
	URL  string // "" when the files cannot be downloaded at this level
	Size string
}

// buildView turns v into the page's view. key is the access key typed,
// used in file links only when core found it right (v.KeyOK).
func (s *server) buildView(v core.PublicView, n core.Number, key string) *protocolView {
	loc := v.Location()
	date := func(t time.Time) dateView {
		t = t.In(loc)
		return dateView{Text: t.Format("02/01/2006 15:04"), ISO: t.Format(time.RFC3339)}
	}
	pv := &protocolView{
		Number: v.Number, Digits: n.Digits(), Full: v.Level == core.PublicFull,
		StatusLabel: v.Status.Label().In(core.LangPtBR), StatusClass: webkit.StatusClass(v.Status),
		Subject: v.Subject, TypeName: v.TypeName, UnitName: v.UnitName,
		OpenedAt: date(v.OpenedAt), UpdatedAt: date(v.UpdatedAt),
		Documents: v.Documents,
	}
	if v.KeyOK && s.intake != nil {
		pv.MessageURL = "/p/" + n.Digits() + "/mensagem?k=" + url.QueryEscape(strings.ToUpper(strings.TrimSpace(key)))
	}
	if v.Deadline != nil && v.Status != core.StatusConcluded {
		d := &deadlineView{dateView: date(*v.Deadline)}
		switch {
		case v.Status == core.StatusSuspended:
			d.Note, d.NoteClass = "suspenso", "suspenso"
		case s.now().After(*v.Deadline):
			d.Note, d.NoteClass = "vencido", "vencido"
		}
		pv.Deadline = d
	}
	pv.LegalBasis, pv.Result = v.LegalBasis, v.Result
	switch {
	case v.Status == core.StatusAwaitingRequester:
		pv.LegalDeadline = &deadlineView{dateView: dateView{Text: "interrompido até a resposta do requerente"}}
	case v.LegalDeadline != nil:
		t := v.LegalDeadline.In(loc)
		d := &deadlineView{dateView: dateView{Text: t.Format("02/01/2006"), ISO: t.Format(time.RFC3339)}}
		switch {
		case v.Status != core.StatusConcluded && s.now().After(*v.LegalDeadline):
			d.Note, d.NoteClass = "vencido", "vencido"
		case v.Extended:
			d.Note, d.NoteClass = "prorrogado", "suspenso"
		}
		pv.LegalDeadline = d
	}
	fileURL := func(id int64) string {
		if !v.KeyOK {
			return ""
		}
		return attachmentURL(n, id, key)
	}
	pv.Steps = make([]stepView, 0, len(v.Steps))
	for i := len(v.Steps) - 1; i >= 0; i-- { // newest first
		st := v.Steps[i]
		sv := stepView{At: date(st.At), Units: unitsText(st.FromUnit, st.ToUnit), Internal: st.Internal, DownloadOK: v.KeyOK}
		if st.Internal {
			sv.Label = "Trâmite interno"
		} else {
			sv.Label = st.Kind.Label().In(core.LangPtBR)
			sv.HTML, sv.Images, sv.Files = s.stepBody(st, fileURL)
		}
		pv.Steps = append(pv.Steps, sv)
	}
	return pv
}

// unitsText says where a step happened: "De A para B", "Para B", "Unidade A".
func unitsText(from, to string) string {
	switch {
	case from == "" && to == "":
		return ""
	case from == "":
		return "Para " + to
	case to == "" || to == from:
		return "Unidade: " + from
	}
	return "De " + from + " para " + to
}

// inlineImageTypes are the image types shown in the page; any other file
// is only a download.
var inlineImageTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// stepBody renders a public step's text as safe HTML with its inline
// images in place: a mail's text names an image "[cid:CONTENT-ID]"
// (Outlook) or "[image: NAME]" (Gmail); those markers become the image.
// Inline images the text does not name come after it; other files are
// listed for download.
func (s *server) stepBody(st core.PublicStep, fileURL func(int64) string) (template.HTML, []fileView, []fileView) {
	text := st.Text
	var images, files []fileView
	type placed struct {
		token string
		file  fileView
	}
	var inText []placed
	nonce := ""
	for _, f := range st.Files {
		fv := fileView{Name: core.SafeFilename(f.Filename), URL: fileURL(f.ID), Size: webkit.FormatSize(f.Size)}
		if !f.Inline || !inlineImageTypes[strings.ToLower(f.ContentType)] {
			files = append(files, fv)
			continue
		}
		if marker := findMarker(text, f); marker != "" {
			if nonce == "" {
				nonce = rand.Text() // A–Z, 2–7: survives Markdown untouched
			}
			token := "TRAMITAIMG" + nonce + "X" + strconv.Itoa(len(inText)) + "X"
			text = strings.Replace(text, marker, token, 1)
			inText = append(inText, placed{token, fv})
			continue
		}
		images = append(images, fv)
	}
	html := string(s.md.render(text))
	for _, p := range inText {
		var ok bool
		if html, ok = replaceInText(html, p.token, imageHTML(p.file)); !ok {
			images = append(images, p.file) // the marker ended up inside a tag (a link target): show it after
		}
	}
	return template.HTML(html), images, files // #nosec: sanitized, tokens replaced by escaped markup
}

// replaceInText replaces the first token of html that is outside a tag.
// html is bluemonday's output, where "<" and ">" only delimit tags
// (attribute values have them escaped), so a token inside an attribute is
// never replaced by markup that would break out of it.
func replaceInText(html, token, markup string) (string, bool) {
	from := 0
	for {
		i := strings.Index(html[from:], token)
		if i < 0 {
			return html, false
		}
		i += from
		if strings.LastIndexByte(html[:i], '<') <= strings.LastIndexByte(html[:i], '>') {
			return html[:i] + markup + html[i+len(token):], true
		}
		from = i + len(token)
	}
}

// findMarker returns the first marker of f present in text, or "".
func findMarker(text string, f core.PublicFile) string {
	var candidates []string
	if f.ContentID != "" {
		candidates = append(candidates, "[cid:"+f.ContentID+"]")
	}
	if f.Filename != "" {
		candidates = append(candidates, "[image: "+f.Filename+"]", "[imagem: "+f.Filename+"]")
	}
	for _, c := range candidates {
		if strings.Contains(text, c) {
			return c
		}
	}
	return ""
}

// imageHTML is an inline image (a link to the file around it), or its
// name when it cannot be downloaded at this level; every value escaped.
func imageHTML(f fileView) string {
	name := template.HTMLEscapeString(f.Name)
	if f.URL == "" {
		return `<span class="arquivo-sem-link">Imagem: ` + name + `</span>`
	}
	u := template.HTMLEscapeString(f.URL)
	return `<a href="` + u + `"><img src="` + u + `" alt="` + name + `" loading="lazy"></a>`
}

// attachmentURL is the download address of file id of protocol n with the
// access key (as core compares it: upper case, spaces trimmed).
func attachmentURL(n core.Number, id int64, key string) string {
	return "/p/" + n.Digits() + "/anexos/" + strconv.FormatInt(id, 10) + "?k=" + url.QueryEscape(normalizeKey(key))
}
