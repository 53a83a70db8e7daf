package core_test

import (
	"testing"

	"github.com/tramita/tramita/core"
)

func TestRedactPersonalData(t *testing.T) {
	known := []string{"Joana Cidadã", "joana.cidada@example.org", "82999990000", "Zé", ""}
	cases := []struct{ in, want string }{
		{"Atenciosamente,\nJoana Cidadã\nTelefone (82) 99999-0000",
			"Atenciosamente,\n[nome omitido]\nTelefone [telefone omitido]"},
		{"JOANA CIDADÃ, e-mail joana.cidada@example.org ou outra@exemplo.com.br",
			"[nome omitido], e-mail [e-mail omitido] ou [e-mail omitido]"},
		{"Ligue +55 82 3333-4444 ou 82 9 8888-7777 ou 99999 0000.", "Ligue [telefone omitido] ou [telefone omitido] ou [telefone omitido]."},
		{"CPF 529.982.247-25, CNPJ 12.ABC.345/01DE-35, inválido 529.982.247-24",
			"CPF [CPF omitido], CNPJ [CNPJ omitido], inválido 529.982.247-24"},
		{"CPF sem pontos 52998224725.", "CPF sem pontos [CPF omitido]."},
		// Left alone: the protocol number, a CEP, dates, money, an order number glued to letters, a short name.
		{"Protocolo 23037.000014/2026-59, CEP 57000-000, em 10/03/2026 às 12:00, R$ 9.000,00, OS-20261234, Zé.",
			"Protocolo 23037.000014/2026-59, CEP 57000-000, em 10/03/2026 às 12:00, R$ 9.000,00, OS-20261234, Zé."},
		// Inline image markers stay where they are (the page puts the image
		// there); the text around them is still redacted.
		{"Foto: [cid:image001.png@01DD1234.ABCD5678] enviada por joana.cidada@example.org [cid:x]",
			"Foto: [cid:image001.png@01DD1234.ABCD5678] enviada por [e-mail omitido] [cid:x]"},
		{"", ""},
	}
	for _, c := range cases {
		if got := core.RedactPersonalData(c.in, known); got != c.want {
			t.Errorf("RedactPersonalData(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}
