package templates

import (
	"embed"
	"io/fs"
)

//go:embed mail/*/*.md
var mailFiles embed.FS

// Mail returns the e-mail templates, rooted at templates/mail: one folder
// per language (pt-BR, en; see mailout.Languages), each with one KIND.md per notification kind
// and _partials.md (blocks the kinds share). A template is a subject line,
// a line "---", then a Markdown body, all text/template; mailout.NewRenderer
// documents the data and checks at start-up that every file exists and runs.
func Mail() fs.FS {
	sub, err := fs.Sub(mailFiles, "mail")
	if err != nil {
		panic(err) // "mail" is a valid path: fs.Sub cannot fail here
	}
	return sub
}
