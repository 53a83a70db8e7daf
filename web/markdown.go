package web

import (
	"bytes"
	"html/template"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	gmhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// markdown renders dispatch texts: goldmark with raw HTML off (its
// default: raw HTML and javascript:/vbscript:/data: links are dropped), line
// breaks kept as in the mail, images turned into links (the page loads no
// remote image), then sanitized with bluemonday's UGC policy.
type markdown struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

func newMarkdown() *markdown {
	md := goldmark.New(
		goldmark.WithExtensions(extension.Linkify, extension.Strikethrough, extension.Table),
		goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(imagesToLinks{}, 100))),
		goldmark.WithRendererOptions(gmhtml.WithHardWraps()),
	)
	p := bluemonday.UGCPolicy()
	p.RequireNoReferrerOnLinks(true)
	p.AllowURLSchemes("http", "https", "mailto", "tel")
	return &markdown{md: md, policy: p}
}

// render returns src as safe HTML; an empty or failed rendering gives ""
// (the caller shows nothing rather than unsanitized text).
func (m *markdown) render(src string) template.HTML {
	if src == "" {
		return ""
	}
	var buf bytes.Buffer
	if err := m.md.Convert([]byte(src), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(src))
	}
	// #nosec: sanitized by bluemonday just here.
	return template.HTML(m.policy.SanitizeBytes(buf.Bytes()))
}

// imagesToLinks replaces every Markdown image with a link to it, keeping
// the alternative text: a dispatch never makes the page load a remote
// image (the Content-Security-Policy would block it anyway).
type imagesToLinks struct{}

// Transform implements parser.ASTTransformer.
func (imagesToLinks) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	var images []*ast.Image
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if img, ok := n.(*ast.Image); ok && entering {
			images = append(images, img)
		}
		return ast.WalkContinue, nil
	})
	for _, img := range images {
		link := ast.NewLink()
		link.Destination, link.Title = img.Destination, img.Title
		for c := img.FirstChild(); c != nil; {
			next := c.NextSibling()
			link.AppendChild(link, c)
			c = next
		}
		if !link.HasChildren() {
			link.AppendChild(link, ast.NewString(img.Destination))
		}
		if parent := img.Parent(); parent != nil {
			parent.ReplaceChild(parent, img, link)
		}
	}
}
