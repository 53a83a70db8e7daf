package mailin_test

import (
	"testing"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/mailin"
)

// TestCommandParsingOfRealReplies runs real mail-client reply bodies
// through reply extraction and the command parser, as intake does.
func TestCommandParsingOfRealReplies(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		body     string
		commands []core.CommandName
		args     []string
		dispatch string
	}{
		{
			name: "Gmail pt-BR with wrapped attribution",
			body: "#encaminhar GCOM\r\n#prazo 5du\r\n\r\nSegue para análise da Gerência Comercial.\r\n\r\n" +
				"Em sáb., 28 de nov. de 2026 às 09:12, Protocolo <\r\nprotocolo@orgao.example.gov.br> escreveu:\r\n\r\n> Novo protocolo 23037.000001/2026-XX\r\n> Assunto: Conta alta\r\n",
			commands: []core.CommandName{core.CmdForward, core.CmdDeadline}, args: []string{"GCOM", "5du"},
			dispatch: "Segue para análise da Gerência Comercial.",
		},
		{
			name: "Outlook pt-BR desktop with header block",
			body: "#Concluir\r\n#Público\r\nLigação realizada em 27/11.\r\n\r\nAtenciosamente,\r\nAna Souza\r\nGerência Comercial\r\n\r\n" +
				"De: Protocolo <protocolo+abc@orgao.example.gov.br>\r\nEnviado: sexta-feira, 27 de novembro de 2026 10:02\r\nPara: Ana Souza <ana@orgao.example.gov.br>\r\n" +
				"Assunto: [Protocolo 23037.000001/2026-XX] Ligação nova\r\n\r\nTexto antigo.\r\n",
			commands: []core.CommandName{core.CmdClose, core.CmdPublic}, args: []string{"", ""},
			dispatch: "Ligação realizada em 27/11.\n\nAtenciosamente,\nAna Souza\nGerência Comercial",
		},
		{
			name: "Apple Mail pt-BR with iPhone signature",
			body: "#responder\r\nBom dia! A equipe irá ao local amanhã.\r\n\r\nEnviado do meu iPhone\r\n\r\n" +
				"Em 28 de nov. de 2026, à(s) 09:12, Protocolo <protocolo@orgao.example.gov.br> escreveu:\r\n\r\n> Texto\r\n",
			commands: []core.CommandName{core.CmdReply}, args: []string{""},
			dispatch: "Bom dia! A equipe irá ao local amanhã.",
		},
		{
			name:     "Android Gmail with sent-from signature, English words",
			body:     "#FORWARD gope\n#deadline 15/12/2026 17:00\nPlease check the leak.\n\nSent from my Android phone\n\nOn Sat, Nov 28, 2026 at 9:12 AM Protocolo wrote:\n> x\n",
			commands: []core.CommandName{core.CmdForward, core.CmdDeadline}, args: []string{"gope", "15/12/2026 17:00"},
			dispatch: "Please check the leak.",
		},
		{
			name:     "requerente block up to a blank line",
			body:     "#requerente\nNome: João da Silva\nCPF: 529.982.247-25\nE-mail: joao@example.org\n\n#tipo LIGACAO\nAtendimento no balcão.\n-- \nPaula\n",
			commands: []core.CommandName{core.CmdRequester, core.CmdType}, args: []string{"", "LIGACAO"},
			dispatch: "Atendimento no balcão.",
		},
		{
			name:     "no commands: all text is dispatch",
			body:     "Estamos verificando.\n#isto não é comando porque não está no topo\n",
			commands: nil,
			dispatch: "Estamos verificando.\n#isto não é comando porque não está no topo",
		},
		{
			name:     "hashtag with a space is text",
			body:     "# Título em Markdown\ntexto",
			commands: nil,
			dispatch: "# Título em Markdown\ntexto",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := core.ParseCommands(mailin.ExtractReply(c.body))
			if len(p.Commands) != len(c.commands) {
				t.Fatalf("commands %+v, want %v", p.Commands, c.commands)
			}
			for i, cmd := range p.Commands {
				if cmd.Name != c.commands[i] || cmd.Arg != c.args[i] || (cmd.Err != "" && cmd.Name != core.CmdRequester) {
					t.Errorf("command %d = %+v, want %s %q", i, cmd, c.commands[i], c.args[i])
				}
				if cmd.Name == core.CmdRequester && (cmd.Err != "" || cmd.Fields.Document != "52998224725" || cmd.Fields.Email != "joao@example.org") {
					t.Errorf("requester block %+v", cmd)
				}
			}
			if p.Dispatch != c.dispatch {
				t.Errorf("dispatch %q, want %q", p.Dispatch, c.dispatch)
			}
		})
	}
}
