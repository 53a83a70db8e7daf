package mailin

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/inbucket/html2text"
	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// AttachmentURLScheme is the URL scheme Message.HTML uses for inline
// images: "attachment:N" names Message.Attachments[N] (0-based). Renderers
// replace it with a real link before showing the HTML.
const AttachmentURLScheme = "attachment"

// htmlPolicy is bluemonday's UGC policy plus the attachment: scheme; a
// policy is safe for concurrent use once built.
var htmlPolicy = sync.OnceValue(func() *bluemonday.Policy {
	p := bluemonday.UGCPolicy()
	p.AllowURLSchemes(AttachmentURLScheme)
	return p
})

// urlAttrs are the attributes whose value may be a cid: URL.
var urlAttrs = map[string]bool{"src": true, "href": true, "background": true, "poster": true, "data-src": true}

// cidURL matches a cid: URL in raw HTML, for the fallback path.
var cidURL = regexp.MustCompile(`(?i)cid:[^"'\s>]*`)

// cidLeft matches a cid: reference left anywhere in sanitized HTML.
var cidLeft = regexp.MustCompile(`(?i)cid:`)

// renderHTML joins the HTML bodies, resolves cid: references (RFC 2392)
// against the attachments' Content-IDs ("attachment:N", marking the
// attachment inline; unmatched references are removed), sanitizes the
// result with bluemonday and derives plain text from it with
// inbucket/html2text, paragraphs and line breaks kept.
func (p *parser) renderHTML(htmls []string) (safe, text string) {
	joined := strings.Join(htmls, "\n")
	doc, err := html.Parse(strings.NewReader(joined))
	if err != nil {
		// x/net/html refuses pathological nesting; fall back to
		// bluemonday's tokenizer alone, dropping cid: references.
		p.problemf("HTML body could not be parsed (%v); sanitized without structure", err)
		joined = cidURL.ReplaceAllString(joined, "")
		safe = hideCID(htmlPolicy().Sanitize(joined))
		text = html.UnescapeString(bluemonday.StrictPolicy().Sanitize(joined))
		return safe, cleanText(strings.ReplaceAll(text, "\u00a0", " "))
	}
	p.resolveCIDs(doc)
	var sb strings.Builder
	if err := html.Render(&sb, doc); err != nil {
		p.problemf("HTML body could not be rendered: %v", err)
		return "", ""
	}
	safe = hideCID(htmlPolicy().Sanitize(sb.String()))

	prepareForText(doc)
	text, err = html2text.FromHTMLNode(doc, html2text.Options{})
	if err != nil {
		p.problemf("HTML body could not be converted to text: %v", err)
		return safe, ""
	}
	return safe, cleanText(strings.ReplaceAll(text, "\u00a0", " "))
}

// hideCID trims sanitized HTML and writes any "cid:" left in text as
// "cid&#58;", which renders the same but is no longer a cid: reference.
func hideCID(safe string) string {
	return cidLeft.ReplaceAllStringFunc(strings.TrimSpace(safe), func(m string) string { return m[:3] + "&#58;" })
}

// resolveCIDs rewrites cid: URLs in doc to attachment:N and marks those
// attachments inline; references to unknown Content-IDs are removed.
func (p *parser) resolveCIDs(doc *html.Node) {
	index := map[string]int{}
	for i, a := range p.msg.Attachments {
		if a.ContentID == "" {
			continue
		}
		if _, dup := index[a.ContentID]; !dup {
			index[a.ContentID] = i
		}
		if _, dup := index[strings.ToLower(a.ContentID)]; !dup {
			index[strings.ToLower(a.ContentID)] = i
		}
	}
	var visit func(n *html.Node)
	visit = func(n *html.Node) {
		if n.Type == html.ElementNode {
			kept := n.Attr[:0]
			for _, at := range n.Attr {
				v := strings.TrimSpace(at.Val)
				if !strings.Contains(strings.ToLower(v), "cid:") {
					kept = append(kept, at)
					continue
				}
				if !urlAttrs[strings.ToLower(at.Key)] || len(v) < 4 || !strings.EqualFold(v[:4], "cid:") {
					continue // e.g. a style url(cid:…): dropped
				}
				id := v[4:]
				if u, err := url.PathUnescape(id); err == nil {
					id = u
				}
				id = strings.Trim(id, "<> ")
				i, ok := index[id]
				if !ok {
					i, ok = index[strings.ToLower(id)]
				}
				if !ok {
					continue
				}
				p.msg.Attachments[i].Inline = true
				at.Val = AttachmentURLScheme + ":" + strconv.Itoa(i)
				kept = append(kept, at)
			}
			n.Attr = kept
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			visit(c)
		}
	}
	visit(doc)
}

// prepareForText adjusts the tree for html2text: bold and headings lose
// their "*" and "---" decoration, table cells are separated by a space and
// rows by a line break, and images are dropped.
func prepareForText(n *html.Node) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		prepareForText(c)
		if c.Type == html.ElementNode {
			switch c.DataAtom {
			case atom.B, atom.Strong:
				for g := c.FirstChild; g != nil; {
					gn := g.NextSibling
					c.RemoveChild(g)
					n.InsertBefore(g, c)
					g = gn
				}
				n.RemoveChild(c)
			case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
				c.DataAtom, c.Data = atom.P, "p"
			case atom.Td, atom.Th:
				c.AppendChild(&html.Node{Type: html.TextNode, Data: " "})
			case atom.Tr:
				c.AppendChild(&html.Node{Type: html.ElementNode, DataAtom: atom.Br, Data: "br"})
			}
		}
		c = next
	}
}
