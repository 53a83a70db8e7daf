package mailout

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"strings"
	"text/template"

	"github.com/tramita/tramita/core"
	"github.com/yuin/goldmark"
)

// ReplyMarker is the first line of every body of mail about a protocol
// (View.OnProtocol), whose replies are read on it. Replies are cut above it
// when they come back; it is the value of mailin.ReplyMarker, copied because
// mailout does not import mailin (a test keeps the two equal).
const ReplyMarker = "—— Responda acima desta linha / Reply above this line ——"

// DefaultLanguage is the language of the mail when TRAMITA_LANG is unset.
const DefaultLanguage = "pt-BR"

// Languages lists the languages every template exists in, the default first.
func Languages() []string { return []string{"pt-BR", "en"} }

// ParseLanguage reads TRAMITA_LANG: "" or any pt/pt-BR spelling gives
// "pt-BR", any en spelling (en, en-US, en_GB) gives "en"; anything else is
// an error.
func ParseLanguage(s string) (string, error) {
	l := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "_", "-"))
	switch {
	case l == "" || l == "pt" || l == "pt-br":
		return "pt-BR", nil
	case l == "en" || strings.HasPrefix(l, "en-"):
		return "en", nil
	}
	return "", fmt.Errorf("unknown mail language %q (want pt-BR or en)", s)
}

// Rendered is one notification ready to be put in a message.
type Rendered struct {
	Subject string // without the protocol tag (Message adds it), one line
	Text    string // text/plain part: the Markdown source, user text unescaped
	HTML    string // text/html part: a whole document rendered by goldmark
}

// Renderer turns a View into subject, text and HTML with the templates of
// one language. It is safe for concurrent use.
type Renderer struct {
	lang  string
	md    goldmark.Markdown
	kinds map[core.NotificationKind]*kindTemplates
}

// kindTemplates holds one kind's template parsed twice: with the Markdown
// helpers (for the HTML part) and with the plain-text helpers.
type kindTemplates struct {
	subject  *template.Template
	markdown *template.Template
	text     *template.Template
}

// NewRenderer parses the mail templates in fsys (templates.Mail(): files
// LANG/KIND.md and LANG/_partials.md) for every kind of
// core.AllNotificationKinds and every language of Languages, checks that
// each one runs on a sample View, and returns a Renderer for lang. A missing
// or broken template is an error that names every such file, so a bad
// installation fails at start-up rather than at the first mail.
//
// Template format: a subject line, a line "---", then a Markdown body,
// text/template with the fields of View. Strings reach the Markdown template
// already escaped (see View); helpers: strong (bold), link (a URL), quote
// (a multi-line text as a block quote), code (a preformatted block), join.
// Raw HTML in the Markdown is not rendered (goldmark's default).
func NewRenderer(fsys fs.FS, lang string) (*Renderer, error) {
	lang, err := ParseLanguage(lang)
	if err != nil {
		return nil, err
	}
	var errs []error
	var chosen map[core.NotificationKind]*kindTemplates
	for _, l := range Languages() {
		set, err := parseLanguage(fsys, l)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if l == lang {
			chosen = set
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("mail templates: %w", errors.Join(errs...))
	}
	return &Renderer{lang: lang, md: goldmark.New(), kinds: chosen}, nil
}

// Lang returns the language the Renderer writes in.
func (r *Renderer) Lang() string { return r.lang }

func parseLanguage(fsys fs.FS, lang string) (map[core.NotificationKind]*kindTemplates, error) {
	partials, err := fs.ReadFile(fsys, lang+"/_partials.md")
	if err != nil {
		return nil, fmt.Errorf("%s/_partials.md: %w", lang, err)
	}
	set := map[core.NotificationKind]*kindTemplates{}
	var errs []error
	// Rendered at start-up on a full view and on an empty one, so both
	// sides of the templates' conditions run once before any mail does.
	samples := []View{sampleView(lang), {Lang: lang}}
	for _, kind := range core.AllNotificationKinds() {
		name := lang + "/" + string(kind) + ".md"
		kt, err := parseKind(fsys, name, lang, string(partials))
		for _, sample := range samples {
			if err == nil {
				_, err = render(kt, goldmark.New(), sample)
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		set[kind] = kt
	}
	return set, errors.Join(errs...)
}

func parseKind(fsys fs.FS, name, lang, partials string) (*kindTemplates, error) {
	src, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	subject, body, ok := strings.Cut(strings.ReplaceAll(string(src), "\r\n", "\n"), "\n---\n")
	if !ok || strings.Contains(strings.TrimSpace(subject), "\n") {
		return nil, errors.New(`want a subject line, a line "---", then the body`)
	}
	kt := &kindTemplates{}
	plain := func(s string) string { return s }
	if kt.subject, err = template.New(name).Funcs(textFuncs).Funcs(labelFuncs(lang, plain)).Parse(strings.TrimSpace(subject)); err != nil {
		return nil, err
	}
	for _, mode := range []struct {
		t      **template.Template
		funcs  template.FuncMap
		labels template.FuncMap
	}{{&kt.markdown, markdownFuncs, labelFuncs(lang, EscapeMarkdown)}, {&kt.text, textFuncs, labelFuncs(lang, plain)}} {
		t, err := template.New(name).Funcs(mode.funcs).Funcs(mode.labels).Parse(body)
		if err != nil {
			return nil, err
		}
		if _, err := t.New("_partials.md").Parse(partials); err != nil {
			return nil, err
		}
		*mode.t = t
	}
	return kt, nil
}

// Render renders kind with v in the Renderer's language.
func (r *Renderer) Render(kind core.NotificationKind, v View) (Rendered, error) {
	kt := r.kinds[kind]
	if kt == nil {
		return Rendered{}, fmt.Errorf("rendering %s: no template", kind)
	}
	v.Lang = r.lang
	out, err := render(kt, r.md, v)
	if err != nil {
		return Rendered{}, fmt.Errorf("rendering %s: %w", kind, err)
	}
	return out, nil
}

func render(kt *kindTemplates, md goldmark.Markdown, v View) (Rendered, error) {
	var subj, src, text bytes.Buffer
	if err := kt.subject.Execute(&subj, v); err != nil {
		return Rendered{}, err
	}
	if err := kt.markdown.Execute(&src, v.escaped()); err != nil {
		return Rendered{}, err
	}
	if err := kt.text.Execute(&text, v); err != nil {
		return Rendered{}, err
	}
	out := Rendered{Subject: oneLine(subj.String())}
	markdown, plain := tidy(src.String()), tidy(text.String())
	if v.OnProtocol {
		markdown, plain = ReplyMarker+"\n\n"+markdown, ReplyMarker+"\n\n"+plain
	}
	out.Text = plain
	var body bytes.Buffer
	if err := md.Convert([]byte(markdown), &body); err != nil {
		return Rendered{}, fmt.Errorf("rendering Markdown: %w", err)
	}
	lang := v.Lang
	if lang == "" {
		lang = DefaultLanguage
	}
	out.HTML = fmt.Sprintf(htmlDocument, lang, html.EscapeString(out.Subject), body.String())
	return out, nil
}

// htmlDocument wraps goldmark's output: language, title, a readable width.
const htmlDocument = `<!DOCTYPE html>
<html lang="%s">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%s</title>
</head>
<body style="font-family: Arial, Helvetica, sans-serif; font-size: 15px; line-height: 1.5; color: #1b1b1b; max-width: 42em;">
%s</body>
</html>
`

// markdownFuncs are the helpers of the Markdown (HTML) rendering; their
// arguments are already escaped (View.escaped).
var markdownFuncs = template.FuncMap{
	"strong": func(s string) string {
		if s == "" {
			return ""
		}
		return "**" + s + "**"
	},
	"link": func(url string) string {
		if url == "" {
			return ""
		}
		return "<" + safeURL(url) + ">"
	},
	"quote": func(s string) string {
		lines := strings.Split(strings.TrimSpace(s), "\n")
		var b strings.Builder
		for i, line := range lines {
			line = strings.TrimSpace(line)
			if i > 0 {
				b.WriteByte('\n')
			}
			if line == "" {
				b.WriteString(">")
				continue
			}
			b.WriteString("> " + line)
			// A backslash at the end of a line is a hard line break
			// (CommonMark §6.7), except before a blank line or at the end.
			if i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != "" {
				b.WriteByte('\\')
			}
		}
		return b.String()
	},
	"code": func(s string) string {
		fence := "```"
		for strings.Contains(s, fence) {
			fence += "`"
		}
		return fence + "\n" + strings.TrimRight(s, "\n") + "\n" + fence
	},
	"join": strings.Join,
}

// labelFuncs are the helpers that name codes in lang with core's one
// vocabulary (core/labels.go, core/kinds.go), each label passed through
// escape: statusLabel and statusHint take a core.Status code ("open"),
// kindLabel a core.NotificationKind code ("ack").
func labelFuncs(lang string, escape func(string) string) template.FuncMap {
	return template.FuncMap{
		"statusLabel": func(code string) string { return escape(core.Status(code).Label().In(lang)) },
		"statusHint":  func(code string) string { return escape(core.Status(code).Info().Hint.In(lang)) },
		"kindLabel":   func(code string) string { return escape(core.NotificationKind(code).Label().In(lang)) },
	}
}

// textFuncs are the same helpers for the text/plain part and the subject.
var textFuncs = template.FuncMap{
	"strong": func(s string) string { return s },
	"link":   safeURL,
	"quote": func(s string) string {
		lines := strings.Split(strings.TrimSpace(normalize(s)), "\n")
		for i, line := range lines {
			lines[i] = strings.TrimRight("> "+line, " ")
		}
		return strings.Join(lines, "\n")
	},
	"code": func(s string) string { return strings.TrimRight(s, "\n") },
	"join": strings.Join,
}

// safeURL keeps a URL from leaving an autolink: spaces and angle brackets
// are percent-encoded. URLs come from configuration, never from users.
func safeURL(u string) string {
	return strings.NewReplacer(" ", "%20", "<", "%3C", ">", "%3E", "\n", "", "\r", "").Replace(u)
}

// asciiPunctuation is what CommonMark lets a backslash escape (§2.4).
const asciiPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// EscapeMarkdown returns s as Markdown that renders as exactly s: every
// ASCII punctuation character is backslash-escaped (so no link, emphasis,
// raw HTML, entity or list marker can come from it), leading blanks are
// dropped (no indented code block), control characters removed. Newlines
// are kept.
func EscapeMarkdown(s string) string {
	var b strings.Builder
	for i, line := range strings.Split(normalize(s), "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		for _, r := range strings.TrimLeft(line, " \t") {
			if r < 0x80 && strings.ContainsRune(asciiPunctuation, r) {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// normalize turns CRLF and CR into LF and drops other control characters
// except tab.
func normalize(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
}

// oneLine makes s fit a header: whitespace runs (newlines included) become
// one space, control characters go.
func oneLine(s string) string {
	return strings.Join(strings.Fields(normalize(s)), " ")
}

// tidy trims trailing blanks of each line, keeps at most one blank line in
// a row, and ends the text with one newline.
func tidy(s string) string {
	var out []string
	blank := 0
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, " \t")
		if line == "" {
			blank++
			if blank > 1 || len(out) == 0 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, line)
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n"
}
