package core

import (
	"strings"
	"testing"
)

func TestParseCommandsErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"#voar alto":  "comando desconhecido",
		"#encaminhar": "falta a unidade",
		"#sobrestar":  "falta o motivo",
		"#requerente\nNome: X\nCPF: 111.111.111-11": "inválido",
		"#requerente\nIdade: 30":                    "campo desconhecido",
		"#requerente":                               "faltam os campos",
		"#requerente\nE-mail: não é e-mail":         "e-mail",
	}
	for body, want := range cases {
		t.Run(body, func(t *testing.T) {
			p := ParseCommands(body)
			if len(p.Commands) == 0 || !strings.Contains(p.Commands[0].Err, want) {
				t.Errorf("ParseCommands(%q) = %+v, want an error containing %q", body, p.Commands, want)
			}
		})
	}
	if got := Fold("  GERÊNCIA Comercial "); got != "gerencia comercial" {
		t.Errorf("Fold = %q", got)
	}
}

// FuzzParseCommands checks the parser never panics and that every command
// line and the dispatch come from the input.
func FuzzParseCommands(f *testing.F) {
	for _, s := range []string{"#encaminhar GCOM\n#prazo 5du\n\ntexto", "#requerente\nNome: A\nCPF: 529.982.247-25\n\nx", "#", "# x", "##", "#ajuda", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := ParseCommands(s)
		norm := strings.ReplaceAll(s, "\r\n", "\n")
		for _, c := range p.Commands {
			first, _, _ := strings.Cut(c.Line, "\n")
			if !strings.Contains(norm, first) {
				t.Fatalf("command line %q not in input", first)
			}
		}
		if !strings.Contains(norm, p.Dispatch) {
			t.Fatalf("dispatch %q not in input", p.Dispatch)
		}
	})
}
