package templates

import (
	"embed"
	"io/fs"
)

//go:embed web/*.html web/static/*
var webFiles embed.FS

// WebPages lists the public site's page templates web.NewServer parses, each with
// layout.html; every one must exist (the server checks at start-up).
var WebPages = []string{"home", "protocol", "error", "painel", "servicos", "avaliar", "novo", "novo_enviado", "confirmar", "comprovante", "mensagem"}

// WebStylesheet is the path, inside Web(), of the lookup page's CSS.
const WebStylesheet = "static/tramita.css"

// Web returns the lookup page files: layout.html, one NAME.html per entry
// of WebPages, and static/ (the stylesheet), rooted at templates/web.
func Web() fs.FS {
	sub, err := fs.Sub(webFiles, "web")
	if err != nil {
		panic(err) // "web" is a valid path: fs.Sub cannot fail here
	}
	return sub
}
