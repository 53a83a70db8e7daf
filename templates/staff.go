package templates

import (
	"embed"
	"io/fs"
)

//go:embed staff/*.html staff/static/*
var staffFiles embed.FS

// StaffPages lists the staff site's page templates (staffweb), each parsed
// with staff/layout.html; every one must exist (checked at start-up).
var StaffPages = []string{"entrar", "entrar_link", "lista", "protocolo", "mensagem", "novo", "saude", "erro"}

// StaffStylesheet is the path, inside Staff(), of the staff site's own CSS,
// loaded after the shared one (WebStylesheet).
const StaffStylesheet = "static/gestao.css"

// Staff returns the staff site's files rooted at templates/staff.
func Staff() fs.FS {
	sub, err := fs.Sub(staffFiles, "staff")
	if err != nil {
		panic(err) // "staff" is a valid path: fs.Sub cannot fail here
	}
	return sub
}
