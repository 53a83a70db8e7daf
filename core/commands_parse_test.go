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

// TestNearestCommand: a mistyped command gets the nearest command word,
// Portuguese on a tie; words far from every command get none.
func TestNearestCommand(t *testing.T) {
	t.Parallel()
	for word, want := range map[string]string{
		"praso": "prazo", "PRAZOS": "prazo", "encaminha": "encaminhar", "emcaminhar": "encaminhar", "encam": "encaminhar",
		"concuir": "concluir", "publco": "publico", "nta": "nota", "forwrd": "forward", "sobrestr": "sobrestar",
		"requerent": "requerente", "ajudar": "ajuda", "reab": "reabrir",
		"x": "", "ab": "", "voar": "", "banana": "", "re": "", "urgente": "",
	} {
		if got := NearestCommand(word); got != want {
			t.Errorf("NearestCommand(%q) = %q, want %q", word, got, want)
		}
	}
	p := ParseCommands("#praso 5du\n\nTexto")
	if len(p.Commands) != 1 || !strings.Contains(p.Commands[0].Err, "você quis dizer #prazo?") {
		t.Errorf("ParseCommands(#praso) = %+v, want the suggestion #prazo", p.Commands)
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
