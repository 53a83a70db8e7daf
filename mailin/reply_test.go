package mailin

import (
	"bytes"
	"io"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestExtractReply(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{
			name: "Gmail pt-BR, wrapped attribution",
			in: "Obrigada, o acesso voltou a funcionar.\r\n\r\n" +
				"Em qua., 25 de nov. de 2026 às 10:02, Protocolo <\r\n" +
				"protocolo@orgao.example.gov.br> escreveu:\r\n\r\n" +
				"> [Protocolo 23037.000213/2026-67] Resposta\r\n>\r\n> Olá, Maria,\r\n",
			want: "Obrigada, o acesso voltou a funcionar.",
		},
		{
			name: "Gmail en",
			in: "Thanks, it works now.\n\n" +
				"On Wed, Nov 25, 2026 at 10:02 AM Protocolo <protocolo@orgao.example.gov.br> wrote:\n\n" +
				"> Your password was reset.\n",
			want: "Thanks, it works now.",
		},
		{
			name: "Gmail en, attribution wrapped over three lines",
			in: "Thanks.\n\nOn Wed, Nov 25, 2026 at 10:02 AM Divisão de Tecnologia da\n" +
				"Informação do Órgão Exemplo <\nprotocolo@orgao.example.gov.br> wrote:\n\n> old\n",
			want: "Thanks.",
		},
		{
			name: "Outlook pt-BR desktop",
			in: "Bom dia,\r\n\r\nSegue o documento pedido.\r\n\r\nAtt.,\r\nAna\r\n\r\n" +
				"De: Protocolo <protocolo@orgao.example.gov.br>\r\n" +
				"Enviada em: quarta-feira, 25 de novembro de 2026 10:02\r\n" +
				"Para: Ana Ficticia <ana.ficticia@example.net>\r\n" +
				"Assunto: [Protocolo 23037.000202/2026-87] Impressora\r\n\r\n" +
				"Olá, Ana,\r\nPrecisamos do número de série.\r\n",
			want: "Bom dia,\n\nSegue o documento pedido.\n\nAtt.,\nAna",
		},
		{
			name: "Outlook pt-BR with rule line (case 002)",
			in: "Bom dia,\n\nA impressora voltou a apresentar o mesmo erro.\n\nAtt.,\nAna Ficticia\n\n" +
				"________________________________\n" +
				"De: Carlos Modelo <carlos.modelo@example.net>\n" +
				"Enviado: terça-feira, 24 de novembro de 2026 17:20\n" +
				"Para: Ana Ficticia <ana.ficticia@example.net>\n" +
				"Assunto: ENC: RES: [Protocolo 23037.000202/2026-87] Impressora do 2º andar\nnão imprime\n\n" +
				"Ana, segue a resposta do órgão.\n",
			want: "Bom dia,\n\nA impressora voltou a apresentar o mesmo erro.\n\nAtt.,\nAna Ficticia",
		},
		{
			name: "Outlook web en",
			in: "Please see attached.\n\n________________________________\n" +
				"From: Protocolo <protocolo@orgao.example.gov.br>\n" +
				"Sent: Wednesday, November 25, 2026 10:02 AM\n" +
				"To: John Roe <john@example.com>\n" +
				"Subject: [Protocolo 23037.000204/2026-76] Status\n\nYour request was forwarded.\n",
			want: "Please see attached.",
		},
		{
			name: "Outlook bold header markers",
			in: "Segue.\n\n*De:* Protocolo <protocolo@orgao.example.gov.br>\n*Enviado:* quarta-feira, 25 de novembro de 2026 10:02\n" +
				"*Para:* Maria <maria@example.org>\n*Assunto:* Re: pedido\n\nTexto antigo\n",
			want: "Segue.",
		},
		{
			name: "Outlook original message separator",
			in:   "Ok.\n\n-----Mensagem original-----\nDe: x\nEnviada em: ontem\n\nantigo\n",
			want: "Ok.",
		},
		{
			name: "Zimbra original message with spaces",
			in:   "Hello\n\n----- Original Message -----\nFrom: bob@example.org\nSent: Monday\nSubject: Test\n\nHi\n",
			want: "Hello",
		},
		{
			name: "Apple Mail pt-BR",
			in: "Recebi, obrigado.\n\nEnviado do meu iPhone\n\n" +
				"> Em 25 de nov. de 2026, à(s) 10:02, Fulano de Tal <fulano@example.org> escreveu:\n>\n> Texto antigo\n",
			want: "Recebi, obrigado.",
		},
		{
			name: "Apple Mail pt-BR attribution unquoted",
			in:   "Recebi.\n\nEm 25 de nov. de 2026, à(s) 10:02, Fulano de Tal <fulano@example.org> escreveu:\n\n> Texto antigo\n",
			want: "Recebi.",
		},
		{
			name: "Thunderbird en",
			in:   "Fine by me.\n\nOn 25/11/2026 10:02, Protocolo wrote:\n> old text\n",
			want: "Fine by me.",
		},
		{
			name: "Thunderbird pt-BR with signature",
			in:   "Está certo.\n-- \nJoão Servidor\nGCOM\n\nEm 25/11/2026 10:02, Protocolo escreveu:\n> antigo\n",
			want: "Está certo.",
		},
		{
			name: "undated writer line followed by quote",
			in:   "Sim.\n\nFulano de Tal <fulano@example.org> escreveu:\n> antigo\n",
			want: "Sim.",
		},
		{
			name: "undated header right below text",
			in:   "Hello\nJohn Smith <john@example.com> wrote:\n> q\n",
			want: "Hello",
		},
		{
			name: "sentence with a digit right above a header",
			in:   "On 2 occasions I asked.\nJohn wrote:\n> q\n",
			want: "On 2 occasions I asked.",
		},
		{
			name: "Gmail Android wrapped undated header",
			in:   "Hello\n02.04.2012 14:20 пользователь \"bob@example.org\" <\nbob@example.org> написал:\n\n> Hi\n",
			want: "Hello",
		},
		{
			name: "Spanish",
			in:   "Gracias.\n\nEl mié, 25 nov 2026 a las 10:02, Protocolo (<protocolo@orgao.example.gov.br>) escribió:\n> viejo\n",
			want: "Gracias.",
		},
		{
			name: "French",
			in:   "Merci.\n\nLe mer. 25 nov. 2026 à 10:02, Protocolo <protocolo@orgao.example.gov.br> a écrit :\n> ancien\n",
			want: "Merci.",
		},
		{
			name: "German",
			in:   "Danke.\n\nAm 25.11.2026 um 10:02 schrieb Protocolo <protocolo@orgao.example.gov.br>:\n> alt\n",
			want: "Danke.",
		},
		{
			name: "iPhone signature",
			in:   "Pode ser amanhã.\n\nEnviado do meu iPhone\n",
			want: "Pode ser amanhã.",
		},
		{
			name: "iPhone en signature then attribution",
			in:   "Hello\n\nSent from my iPhone\n\nOn Apr 3, 2012, at 4:19 PM, bob <bob@example.com> wrote:\n\n> Hi\n",
			want: "Hello",
		},
		{
			name: "Android and Outlook mobile signatures",
			in:   "Confirmo.\n\nObter o Outlook para Android\n",
			want: "Confirmo.",
		},
		{
			name: "Windows Mail signature",
			in:   "Confirmo.\n\nEnviado do Email do Windows\n",
			want: "Confirmo.",
		},
		{
			name: "Samsung signature",
			in:   "Ok\n\nEnviado do meu smartphone Samsung Galaxy.\n",
			want: "Ok",
		},
		{
			name: "marker cut",
			in:   "Segue o comprovante.\n\n" + ReplyMarker + "\n\nOlá, Maria,\nSeu protocolo foi aberto.\n",
			want: "Segue o comprovante.",
		},
		{
			name: "quoted marker under attribution",
			in:   "Segue.\n\nOn Wed, Nov 25, 2026 at 10:02 AM Protocolo <p@x.example> wrote:\n> " + ReplyMarker + "\n> Olá\n",
			want: "Segue.",
		},
		{
			name: "marker in other case",
			in:   "Texto\nREPLY ABOVE THIS LINE\nantigo\n",
			want: "Texto",
		},
		{
			name: "interleaved answer",
			in: "On Wed, Nov 25, 2026 at 10:02 AM Protocolo <protocolo@orgao.example.gov.br> wrote:\n" +
				"> Qual é o número do medidor?\n\nÉ o 123456.\n\n> Qual o endereço?\n\nRua Exemplo, 10.\n\n> Atenciosamente,\n> Protocolo\n",
			want: "> Qual é o número do medidor?\n\nÉ o 123456.\n\n> Qual o endereço?\n\nRua Exemplo, 10.",
		},
		{
			name: "interleaved answer without attribution",
			in:   "> pergunta 1\nresposta 1\n> pergunta 2\nresposta 2\n> fim\n",
			want: "> pergunta 1\nresposta 1\n> pergunta 2\nresposta 2",
		},
		{
			// The answer below a quote introduced by an attribution is kept
			// without the single quoted block it answers.
			name: "bottom-posted reply",
			in:   "Em 25/11/2026 10:02, Protocolo escreveu:\n> antigo\n\nResposta embaixo.\n\n-- \nMaria\n",
			want: "Resposta embaixo.",
		},
		{
			name: "answer below the marker",
			in:   ReplyMarker + "\nOlá, Maria\n",
			want: "Olá, Maria",
		},
		{
			name: "no quote at all",
			in:   "  Bom dia,\r\n\r\nGostaria de pedir vistas do processo.   \r\n\r\nMaria\r\n\r\n",
			want: "  Bom dia,\n\nGostaria de pedir vistas do processo.\n\nMaria",
		},
		{
			name: "only a quote",
			in:   "> antigo\n> mais antigo\n",
			want: "",
		},
		{
			name: "only attribution and quote",
			in:   "On Wed, Nov 25, 2026 at 10:02 AM Protocolo <p@x.example> wrote:\n> antigo\n",
			want: "On Wed, Nov 25, 2026 at 10:02 AM Protocolo <p@x.example> wrote:",
		},
		{
			name: "only a signature is kept, never empty",
			in:   "-- \nMaria Exemplo\n",
			want: "--\nMaria Exemplo",
		},
		{
			name: "sentence starting like a signature is kept",
			in:   "Sent from my office the documents you asked for yesterday, please confirm you received them all.\n",
			want: "Sent from my office the documents you asked for yesterday, please confirm you received them all.",
		},
		{
			name: "body line with From: but no header block",
			in:   "De: João\nPara: Maria\n\nTexto.\n",
			want: "De: João\nPara: Maria\n\nTexto.",
		},
		{
			name: "On line without date is not a header",
			in:   "On the other hand, as you wrote:\nthat was fine.\n",
			want: "On the other hand, as you wrote:\nthat was fine.",
		},
		{
			name: "lone CR line endings",
			in:   "Ok\r\rEm 25/11/2026 10:02, Protocolo escreveu:\r> x\r",
			want: "Ok",
		},
		{
			name: "no-break space in attribution",
			in:   "Ok\n\nLe 25/11/2026 à 10:02, Protocolo a écrit\u00a0:\n> x\n",
			want: "Ok",
		},
		{name: "empty", in: "", want: ""},
		{name: "blank", in: " \r\n\t\n", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ExtractReply(tt.in); got != tt.want {
				t.Errorf("ExtractReply(%q)\n got: %q\nwant: %q", tt.in, got, tt.want)
			}
		})
	}
}

// firstTextPlain returns the decoded first text/plain part of a raw message,
// by simple means (split at the boundary, undo quoted-printable); the real
// MIME parser lives in parse.go.
func firstTextPlain(t *testing.T, raw []byte) string {
	t.Helper()
	raw = bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n"))
	i := bytes.Index(raw, []byte("Content-Type: text/plain"))
	if i < 0 {
		t.Fatal("no text/plain part")
	}
	part := raw[i:]
	body := part[bytes.Index(part, []byte("\n\n"))+2:]
	if j := bytes.Index(body, []byte("\n--")); j >= 0 {
		body = body[:j+1]
	}
	if bytes.Contains(part[:bytes.Index(part, []byte("\n\n"))], []byte("quoted-printable")) {
		dec, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		if err != nil {
			t.Fatalf("quoted-printable: %v", err)
		}
		body = dec
	}
	return string(body)
}

func TestExtractReplyCases(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("..", "..", "shared", "cases")
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		t.Skipf("%s is absent", dir)
	}
	tests := []struct {
		file string
		want string
		not  []string
	}{
		{"013-gmail-ptbr-quoted-history.eml", "Obrigada, o acesso voltou a funcionar.", []string{"escreveu:", "Sua senha foi redefinida"}},
		{"002-outlook-ptbr-res-enc-prefixes.eml", "", []string{"De: Carlos", "segue a resposta do"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got := ExtractReply(firstTextPlain(t, raw))
			if tt.want != "" && strings.TrimSpace(got) != tt.want {
				t.Errorf("ExtractReply = %q, want %q", got, tt.want)
			}
			if got == "" {
				t.Error("ExtractReply returned nothing")
			}
			for _, s := range tt.not {
				if strings.Contains(got, s) {
					t.Errorf("ExtractReply = %q, contains %q", got, s)
				}
			}
		})
	}
}

func FuzzExtractReply(f *testing.F) {
	for _, s := range []string{
		"Obrigada.\r\n\r\nEm qua., 25 de nov. de 2026 às 10:02, Protocolo <\r\nprotocolo@x> escreveu:\r\n\r\n> a\r\n",
		"a\n> b\nc\n> d\n",
		"x\n________________________________\nDe: a\nEnviado: b\nPara: c\n\nd",
		"-- \nsig",
		ReplyMarker + "\nx",
		"On 1 wrote:\n",
		"\r\r\n\n",
		"> only",
		"Thanks! On Mon, 1 Jun 2020 at 10:00, Bob <bob@example.com> wrote:\n> q\n",
		"FYI\n\n---------- Forwarded message ---------\nFrom: a@b.example\nDate: 1 Jun 2020\n\nx",
		"Hi,\nOn 1/6/2020 10:00, Bob wrote:\n> q\n\nanswer\n",
		"Ok\n\nEnviado do meu iPhone\n",
		"x\n-----Original Message-----\ny",
		"x\n在 2015年2月19日，下午4:11，Bob <bob@example.com> 写道：\n> y",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r := SplitReply(in)
		out := r.Text
		inLines := splitLines(in)
		// Every output line is an input line or, when an attribution shares
		// the line with the reply, the start of one.
		for _, l := range strings.Split(out, "\n") {
			if !slices.ContainsFunc(inLines, func(in string) bool { return strings.HasPrefix(in, l) }) {
				t.Fatalf("output line %q is not (the start of) an input line\nin:  %q\nout: %q", l, in, out)
			}
		}
		if r.Top != "" && !strings.Contains(in, strings.Split(r.Top, "\n")[0]) {
			t.Fatalf("Top %q is not input text\nin: %q", r.Top, in)
		}
		hasUnquoted := false
		for _, l := range splitLines(in) {
			if l != "" && !isQuoted(l) {
				hasUnquoted = true
			}
		}
		if hasUnquoted && out == "" {
			t.Fatalf("ExtractReply(%q) = \"\" although the input has unquoted text", in)
		}
		if again := ExtractReply(out); out != "" && again == "" {
			t.Fatalf("ExtractReply of its own output %q is empty", out)
		}
	})
}

// TestExtractReplyCorpus runs ExtractReply on the plain text Parse gives for
// real replies of the shared corpus (read in place, licence reasons) and the
// regression cases. It skips only when the shared folder is absent.
func TestExtractReplyCorpus(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..", "shared")
	if _, err := os.Stat(root); os.IsNotExist(err) {
		t.Skipf("%s is absent", root)
	}
	tests := []struct {
		file string
		want string   // whole reply, trimmed; "" to check only has/not
		has  []string // substrings the reply keeps
		not  []string // substrings of the history that must be gone
	}{
		{file: "corpus/replies/talon-android-gmail-reply.eml", want: "Hello"},
		{file: "corpus/replies/talon-apple-mail-2-reply.eml", want: "Hello"},
		{file: "corpus/replies/talon-gmail-reply.eml", want: "Hello"},
		{file: "corpus/replies/talon-hotmail-reply.eml", want: "Hello"},
		{file: "corpus/replies/talon-iphone-reply.eml", want: "Hello"},
		{file: "corpus/replies/talon-outlook-reply.eml", want: "Hello"},
		{file: "corpus/replies/talon-sparrow-reply.eml", want: "Hello"},
		{file: "corpus/replies/talon-zimbra-comcast-reply.eml", want: "Hello"},
		{
			file: "corpus/portuguese/qemu-devel-outlook-ptbr-reply.eml",
			has:  []string{"> t's usually best", "OK, will do!", "Awesome! As the first contribution"},
			not:  []string{"Enviadas:", "De: Pedro", "________"},
		},
		{file: "cases/001-reply-all-from-cc-colleague.eml",
			want: "Autorizo o desbloqueio do acesso da Maria ao sistema de ponto.\n\nCarlos Modelo\nCoordenador Administrativo"},
		{file: "cases/002-outlook-ptbr-res-enc-prefixes.eml", has: []string{"Podem mandar algu"}, not: []string{"De: Carlos", "segue a resposta"}},
		{file: "cases/013-gmail-ptbr-quoted-history.eml", want: "Obrigada, o acesso voltou a funcionar."},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.file, "/", "_"), func(t *testing.T) {
			t.Parallel()
			raw, err := os.ReadFile(filepath.Join(root, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			got := ExtractReply(Parse(raw).Text)
			if tt.want != "" && strings.TrimSpace(got) != tt.want {
				t.Errorf("ExtractReply = %q, want %q", got, tt.want)
			}
			for _, s := range tt.has {
				if !strings.Contains(got, s) {
					t.Errorf("reply lost %q:\n%s", s, got)
				}
			}
			for _, s := range tt.not {
				if strings.Contains(got, s) {
					t.Errorf("reply keeps %q:\n%s", s, got)
				}
			}
		})
	}
}
