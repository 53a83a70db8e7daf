package core

import (
	"testing"
)

func TestStripReplyPrefixes(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"none", "Impressora não imprime", "Impressora não imprime"},
		{"Re", "Re: assunto", "assunto"},
		{"RE upper", "RE: assunto", "assunto"},
		{"Outlook pt-BR stacked (case 002)", "RES: ENC: RES: [Protocolo 23037.000202/2026-87] Impressora do 2º andar não imprime",
			"[Protocolo 23037.000202/2026-87] Impressora do 2º andar não imprime"},
		{"Res lower", "res: assunto", "assunto"},
		{"Enc", "Enc: assunto", "assunto"},
		{"Fw Fwd FW", "Fw: Fwd: FW: assunto", "assunto"},
		{"French TR", "TR: RE : assunto", "assunto"},
		{"German AW WG", "AW: WG: assunto", "assunto"},
		{"Nordic SV VS", "SV: VS: assunto", "assunto"},
		{"Dutch Antw", "Antw: assunto", "assunto"},
		{"German Antwort", "Antwort: assunto", "assunto"},
		{"Italian R and Rif", "R: Rif: assunto", "assunto"},
		{"Spanish RV", "RV: Re: assunto", "assunto"},
		{"Polish Odp", "Odp: assunto", "assunto"},
		{"Hungarian Vá", "Vá: VÁ: assunto", "assunto"},
		{"no space after colon", "Re:Res:Enc:assunto", "assunto"},
		{"counter brackets", "Re[2]: assunto", "assunto"},
		{"counter caret", "Re^2: RE[10]: assunto", "assunto"},
		{"full-width colon", "Re：回复 assunto", "回复 assunto"},
		{"auto reply pt-BR", "Resposta automática: RES: assunto", "assunto"},
		{"auto reply en", "Automatic reply: assunto", "assunto"},
		{"auto reply fr", "Réponse automatique : assunto", "assunto"},
		{"leading spaces", "   Re:   assunto  ", "assunto"},
		{"word without colon kept", "Recurso administrativo", "Recurso administrativo"},
		{"Resumo kept", "Resumo: reunião", "Resumo: reunião"},
		{"prefix in the middle kept", "assunto Re: outro", "assunto Re: outro"},
		{"only prefixes", "Re: Fwd:", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := StripReplyPrefixes(tt.in); got != tt.want {
				t.Errorf("StripReplyPrefixes(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFindSubjectTag(t *testing.T) {
	t.Parallel()
	n202 := Number{Unit: "23037", Seq: 202, Year: 2026}
	n213 := Number{Unit: "23037", Seq: 213, Year: 2026}
	tests := []struct {
		name    string
		subject string
		word    string
		want    Number
		ok      bool
	}{
		{"case 002 decoded subject", "RES: ENC: RES: [Protocolo 23037.000202/2026-87] Impressora do 2º andar não imprime", "", n202, true},
		{"case 013", "Re: [Protocolo 23037.000213/2026-67] Resposta à sua solicitação", "Protocolo", n213, true},
		{"word lower case", "[protocolo 23037.000202/2026-87]", "", n202, true},
		{"word upper case", "[PROTOCOLO 23037.000202/2026-87]", "protocolo", n202, true},
		{"digits only", "Re: [Protocolo 23037000202202687] x", "", n202, true},
		{"spaces inside", "[ Protocolo  23037 000202 2026 87 ]", "", n202, true},
		{"colon after word", "[Protocolo: 23037.000202/2026-87]", "", n202, true},
		{"no-break space after word", "[Protocolo\u00a023037.000202/2026-87]", "", n202, true},
		{"tag at the end", "Impressora [Protocolo 23037.000202/2026-87]", "", n202, true},
		{"configured word", "Re: [Processo 23037.000202/2026-87]", "Processo", n202, true},
		{"other word not taken", "Re: [Processo 23037.000202/2026-87]", "", Number{}, false},
		{"wrong check digit", "Re: [Protocolo 23037.000202/2026-88] x", "", Number{}, false},
		{"wrong check digit then valid", "[Protocolo 23037.000202/2026-88] [Protocolo 23037.000213/2026-67]", "", n213, true},
		{"two valid tags, first wins", "[Protocolo 23037.000213/2026-67] Re: [Protocolo 23037.000202/2026-87]", "", n213, true},
		{"no brackets", "Protocolo 23037.000202/2026-87", "", Number{}, false},
		{"unclosed bracket", "[Protocolo 23037.000202/2026-87", "", Number{}, false},
		{"nested bracket", "[x [Protocolo 23037.000202/2026-87]]", "", n202, true},
		{"word glued to number", "[Protocolo23037.000202/2026-87]", "", Number{}, false},
		{"longer word", "[Protocolos 23037.000202/2026-87]", "", Number{}, false},
		{"text after number", "[Protocolo 23037.000202/2026-87 urgente]", "", Number{}, false},
		{"empty", "", "", Number{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := FindSubjectTag(tt.subject, tt.word)
			if got != tt.want || ok != tt.ok {
				t.Errorf("FindSubjectTag(%q, %q) = %v, %v; want %v, %v", tt.subject, tt.word, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestCleanSubject(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, subject, word, want string }{
		{"case 002", "RES: ENC: RES: [Protocolo 23037.000202/2026-87] Impressora do 2º andar não imprime", "", "Impressora do 2º andar não imprime"},
		{"prefix after tag", "Re: [Protocolo 23037.000213/2026-67] RES: Resposta à sua solicitação", "", "Resposta à sua solicitação"},
		{"two tags", "[Protocolo 23037.000202/2026-87] Re: [Protocolo 23037.000213/2026-67] assunto", "", "assunto"},
		{"invalid tag removed too", "Re: [Protocolo 23037.000202/2026-88] assunto", "", "assunto"},
		{"tag in the middle", "Pedido [Protocolo 23037.000202/2026-87] de vistas", "", "Pedido de vistas"},
		{"other bracket kept", "[EXTERNO] Re: assunto", "", "[EXTERNO] Re: assunto"},
		{"whitespace collapsed", "  Pedido \t de\n vistas ", "", "Pedido de vistas"},
		{"configured word", "RES: [Processo 23037.000202/2026-87] assunto", "processo", "assunto"},
		{"tag that forms after removal", "[[Protocolo 23037.000202/2026-87]Protocolo 1] x", "", "x"},
		{"only a tag", "Re: [Protocolo 23037.000202/2026-87]", "", ""},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := CleanSubject(tt.subject, tt.word); got != tt.want {
				t.Errorf("CleanSubject(%q, %q) = %q, want %q", tt.subject, tt.word, got, tt.want)
			}
		})
	}
}
