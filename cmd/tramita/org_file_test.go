package main

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/examples"
)

// TestOrgApplyUnknownKey: a misspelt key in the organization file is
// reported with the file, the line, the key and the keys allowed there,
// in Portuguese and English, with the nearest key when it looks like a
// typo; never as a Go struct dump. Every unknown key is listed at once.
func TestOrgApplyUnknownKey(t *testing.T) {
	src := strings.Replace(string(examples.OrgYAML), "    visibility:", "    visibilty:", 1)
	src = strings.Replace(src, "  timezone:", "  fuso:", 1)
	src = strings.Replace(src, "units:\n", "unidades: []\nunits:\n", 1)
	// The form's keys (inline in core.OrgType) are known; a misspelt one is not.
	src = strings.Replace(src, "    deadline: 10du\n", "    deadline: 10du\n    max_files: 2\n    web: true\n    max_file: 3\n", 1)
	if src == string(examples.OrgYAML) || strings.Count(src, "visibilty") != 1 {
		t.Fatal("examples/org.yaml changed: the test no longer misspells a key")
	}
	line := func(needle string) string {
		for i, l := range strings.Split(src, "\n") {
			if strings.Contains(l, needle) {
				return ":" + strconv.Itoa(i+1) + ":"
			}
		}
		t.Fatalf("%q not in the file", needle)
		return ""
	}
	file := filepath.Join(t.TempDir(), "org.yaml")
	if err := os.WriteFile(file, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := readOrgFile(file)
	if err == nil || !errors.Is(err, core.ErrInvalidOrg) {
		t.Fatalf("err = %v, want an ErrInvalidOrg", err)
	}
	msg := err.Error()
	for _, want := range []string{
		file + line("visibilty:") + ` chave desconhecida "visibilty" em types[`,
		`as chaves permitidas aqui são: code, name, description, unit, addresses, deadline, visibility, legal_deadline, extension, legal_basis, results, document, account_label, max_files, max_file_bytes, web (você quis dizer "visibility"?)`,
		file + line("visibilty:") + ` unknown key "visibilty" in types[`,
		`the keys allowed here are: code, name, description, unit, addresses, deadline, visibility, legal_deadline, extension, legal_basis, results, document, account_label, max_files, max_file_bytes, web (did you mean "visibility"?)`,
		file + line("fuso:") + ` chave desconhecida "fuso" em organization; as chaves permitidas aqui são: name, nup_unit, address, timezone,`,
		file + line("unidades:") + ` unknown key "unidades" at the top of the file; the keys allowed here are: organization, units, staff, types`,
		file + line("max_file:") + ` unknown key "max_file" in types[0]`, `(did you mean "max_files"?)`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	for _, known := range []string{`"max_files"`, `"web"`} {
		if strings.Contains(msg, "unknown key "+known) {
			t.Errorf("the form key %s is reported unknown:\n%s", known, msg)
		}
	}
	for _, bad := range []string{"struct {", `yaml:"`, "not found in type"} {
		if strings.Contains(msg, bad) {
			t.Errorf("message shows Go internals (%q):\n%s", bad, msg)
		}
	}
	if strings.Contains(msg, `"fuso" em organization; as chaves permitidas aqui são: name, nup_unit, address, timezone, holidays, optional_holidays, authserv_ids, tag_word, default_type (você`) {
		t.Errorf("a word unlike any key got a suggestion:\n%s", msg)
	}

	// The whole command says it and exits with failure.
	setupCLI(t)
	code, _, stderr := cli(t, nil, "org", "apply", file)
	if code != exitFailure || !strings.Contains(stderr, `did you mean "visibility"?`) {
		t.Errorf("org apply: exit %d\n%s", code, stderr)
	}
}
