// Package examples embeds the sample organization file and sample messages
// used by `tramita demo` and by tests.
package examples

import (
	"embed"
	"io/fs"
)

// OrgYAML is examples/org.yaml: a state water and sanitation company.
//
//go:embed org.yaml
var OrgYAML []byte

//go:embed mail/*.eml
var mail embed.FS

// Mail lists the sample messages (file names under mail/).
func Mail() ([]string, error) {
	entries, err := fs.ReadDir(mail, "mail")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, nil
}

// MailFile returns the raw bytes of sample message name.
func MailFile(name string) ([]byte, error) { return mail.ReadFile("mail/" + name) }
