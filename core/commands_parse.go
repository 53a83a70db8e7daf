package core

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/agnivade/levenshtein"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// CommandName is the canonical (English) name of a staff command.
type CommandName string

// Staff commands (DESIGN.md, "Staff commands"); Portuguese words are aliases.
const (
	CmdForward   CommandName = "forward"   // #encaminhar UNIT
	CmdDeadline  CommandName = "deadline"  // #prazo WHEN | remover
	CmdPublic    CommandName = "public"    // #publico
	CmdPrivate   CommandName = "private"   // #privado
	CmdReply     CommandName = "reply"     // #responder
	CmdNote      CommandName = "note"      // #nota
	CmdClose     CommandName = "close"     // #concluir
	CmdReopen    CommandName = "reopen"    // #reabrir
	CmdType      CommandName = "type"      // #tipo CODE
	CmdSuspend   CommandName = "suspend"   // #sobrestar REASON
	CmdResume    CommandName = "resume"    // #retomar
	CmdRequester CommandName = "requester" // #requerente + Campo: valor lines
	CmdHelp      CommandName = "help"      // #ajuda
	// CmdExtend extends the legal deadline once by the type's extension;
	// the reason goes to the requester (Lei 13.460/2017 art. 16, Lei
	// 12.527/2011 art. 11 §2).
	CmdExtend CommandName = "extend" // #prorrogar REASON
	// CmdRequestInfo asks the requester for information: the legal
	// deadline is interrupted and counts again in full from the answer.
	CmdRequestInfo CommandName = "request-info" // #complementar TEXT
)

// commandWords maps every accepted word (accents and case folded) to its command.
var commandWords = map[string]CommandName{
	"encaminhar": CmdForward, "forward": CmdForward, "tramitar": CmdForward,
	"prazo": CmdDeadline, "deadline": CmdDeadline,
	"publico": CmdPublic, "public": CmdPublic,
	"privado": CmdPrivate, "private": CmdPrivate,
	"responder": CmdReply, "reply": CmdReply,
	"nota": CmdNote, "note": CmdNote,
	"concluir": CmdClose, "close": CmdClose,
	"reabrir": CmdReopen, "reopen": CmdReopen,
	"tipo": CmdType, "type": CmdType,
	"sobrestar": CmdSuspend, "suspend": CmdSuspend,
	"retomar": CmdResume, "resume": CmdResume,
	"requerente": CmdRequester, "requester": CmdRequester,
	"ajuda": CmdHelp, "help": CmdHelp,
	"prorrogar": CmdExtend, "extend": CmdExtend,
	"complementar": CmdRequestInfo, "request-info": CmdRequestInfo, "requestinfo": CmdRequestInfo,
}

// commandWordOrder lists the command words for suggestions: Portuguese
// first, so that a tie suggests the Portuguese word.
var commandWordOrder = []string{
	"encaminhar", "tramitar", "prazo", "publico", "privado", "responder", "nota", "concluir", "reabrir", "tipo",
	"sobrestar", "retomar", "requerente", "ajuda",
	"forward", "deadline", "public", "private", "reply", "note", "close", "reopen", "type", "suspend", "resume",
	"requester", "help",
}

// NearestCommand returns the command word closest to word (a mistyped
// command, accents and case ignored), or "" when none is close enough:
// at most 1 edit (Levenshtein) for words of 3–5 letters, 2 for longer
// ones, and for words of 4 letters or more the unique command word they
// begin (#encam → encaminhar). Words of 1–2 letters get no suggestion.
func NearestCommand(word string) string {
	w := Fold(word)
	n := utf8.RuneCountInString(w)
	if n < 3 {
		return ""
	}
	limit := 1
	if n > 5 {
		limit = 2
	}
	best, bestDist := "", limit+1
	for _, c := range commandWordOrder {
		if d := levenshtein.ComputeDistance(w, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best != "" || n < 4 {
		return best
	}
	var first string
	for _, c := range commandWordOrder {
		if strings.HasPrefix(c, w) {
			if first != "" && commandWords[c] != commandWords[first] {
				return "" // begins two commands
			}
			if first == "" {
				first = c
			}
		}
	}
	return first
}

// Command is one `#` line of a staff message.
type Command struct {
	Line   string      // the line as written (for the transcript), with its field lines for #requerente
	Name   CommandName // "" when the word is unknown
	Arg    string      // the rest of the line, trimmed
	Fields *Person     // for #requerente: the fields given
	Err    string      // a syntax error found while parsing, in Portuguese; "" when fine
}

// ParsedCommands is a staff message split into its commands and its dispatch.
type ParsedCommands struct {
	Commands []Command
	Dispatch string // the text after the commands
}

// Fold lower-cases s and removes accents ("Gerência" → "gerencia"), for
// case- and accent-insensitive comparison of command words, unit and type
// names.
func Fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(strings.TrimSpace(out))
}

// ParseCommands reads the `#` lines at the top of text (a reply with quoted
// history and signature already removed): blank lines before and between
// them are skipped; the first line that is not a command ends them and
// starts the dispatch. A `#requerente` line takes the `Campo: valor` lines
// after it, up to a blank line. It never fails: problems are in each
// Command's Err.
func ParseCommands(text string) ParsedCommands {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var out ParsedCommands
	i := 0
	for i < len(lines) {
		line := strings.TrimSpace(lines[i])
		if line == "" {
			i++
			continue
		}
		if !strings.HasPrefix(line, "#") || len(line) < 2 || line[1] == ' ' || line[1] == '#' {
			break
		}
		word, arg, _ := strings.Cut(strings.TrimSpace(line[1:]), " ")
		word = strings.TrimRight(word, ":")
		c := Command{Line: line, Name: commandWords[Fold(word)], Arg: strings.TrimSpace(arg)}
		i++
		switch c.Name {
		case "":
			c.Err = fmt.Sprintf("comando desconhecido %q; escreva #ajuda para ver os comandos", "#"+word)
			if near := NearestCommand(word); near != "" {
				c.Err = fmt.Sprintf("comando desconhecido %q; você quis dizer #%s? (#ajuda lista os comandos)", "#"+word, near)
			}
		case CmdRequester:
			var fieldLines []string
			for i < len(lines) && strings.TrimSpace(lines[i]) != "" && !strings.HasPrefix(strings.TrimSpace(lines[i]), "#") {
				fieldLines = append(fieldLines, strings.TrimSpace(lines[i]))
				i++
			}
			c.Line = strings.Join(append([]string{line}, fieldLines...), "\n")
			c.Fields, c.Err = parseRequesterFields(fieldLines)
		case CmdForward, CmdType, CmdSuspend, CmdDeadline, CmdExtend:
			if c.Arg == "" {
				c.Err = map[CommandName]string{
					CmdForward: "falta a unidade: #encaminhar CÓDIGO ou nome",
					CmdType:    "falta o tipo: #tipo CÓDIGO",
					CmdSuspend: "falta o motivo: #sobrestar motivo",
					CmdExtend:  "falta a justificativa, que vai ao requerente: #prorrogar motivo",
					CmdDeadline: "falta o prazo: #prazo 2026-12-15 17:00, #prazo 15/12/2026, #prazo 5d, " +
						"#prazo 5du, #prazo 48h ou #prazo remover",
				}[c.Name]
			}
		}
		out.Commands = append(out.Commands, c)
	}
	out.Dispatch = strings.TrimSpace(strings.Join(lines[i:], "\n"))
	return out
}

// parseRequesterFields reads `Campo: valor` lines: Nome, CPF/CNPJ (checked
// with the Receita Federal check digits), Matrícula, Telefone, E-mail.
func parseRequesterFields(lines []string) (*Person, string) {
	p := &Person{}
	if len(lines) == 0 {
		return p, "faltam os campos do requerente (Nome:, CPF/CNPJ:, Matrícula:, Telefone:, E-mail:), um por linha"
	}
	for _, l := range lines {
		key, val, ok := strings.Cut(l, ":")
		val = strings.TrimSpace(val)
		if !ok {
			return p, fmt.Sprintf("linha %q: use Campo: valor", l)
		}
		switch Fold(key) {
		case "nome", "name", "razao social":
			p.Name = val
		case "cpf", "cnpj", "cpf/cnpj", "documento", "document":
			doc, _, err := NormalizeDocument(val)
			if err != nil {
				return p, fmt.Sprintf("CPF/CNPJ %q inválido (dígito verificador não confere)", val)
			}
			p.Document = doc
		case "matricula", "account":
			p.Account = val
		case "telefone", "phone", "fone", "celular":
			p.Phone = val
		case "e-mail", "email":
			if !strings.Contains(val, "@") || strings.ContainsAny(val, " <>") {
				return p, fmt.Sprintf("e-mail %q inválido", val)
			}
			p.Email = strings.ToLower(val)
		default:
			return p, fmt.Sprintf("campo desconhecido %q (use Nome, CPF/CNPJ, Matrícula, Telefone, E-mail)", strings.TrimSpace(key))
		}
	}
	if p.Name == "" && p.Document == "" && p.Email == "" {
		return p, "informe ao menos Nome, CPF/CNPJ ou E-mail do requerente"
	}
	return p, ""
}

var (
	isoDateRe = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2}))?$`)
	brDateRe  = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4})(?:\s+(\d{1,2})[:h](\d{2}))?$`)
)

// ParseDeadline reads the argument of #prazo as of now in cal's time zone:
// `AAAA-MM-DD HH:MM`, `DD/MM/AAAA [HH:MM]` (a date alone ends at 23:59),
// `Nd`, `Ndu` (business days), `Nh`, or `remover` (returns remove=true).
// A moment not after now is refused (an expired deadline).
func ParseDeadline(arg string, now time.Time, cal Calendar) (due time.Time, remove bool, err error) {
	a := strings.TrimSpace(arg)
	switch Fold(a) {
	case "remover", "remove", "nenhum", "none":
		return time.Time{}, true, nil
	}
	loc := cal.loc()
	var y, mo, d, h, mi int
	h, mi = 23, 59
	switch {
	case isoDateRe.MatchString(a):
		m := isoDateRe.FindStringSubmatch(a)
		y, mo, d = atoi(m[1]), atoi(m[2]), atoi(m[3])
		if m[4] != "" {
			h, mi = atoi(m[4]), atoi(m[5])
		}
	case brDateRe.MatchString(a):
		m := brDateRe.FindStringSubmatch(a)
		d, mo, y = atoi(m[1]), atoi(m[2]), atoi(m[3])
		if m[4] != "" {
			h, mi = atoi(m[4]), atoi(m[5])
		}
	default:
		dur, err := ParseDuration(a)
		if err != nil {
			return time.Time{}, false, fmt.Errorf("prazo %q não reconhecido: use 2026-12-15 17:00, 15/12/2026, 5d, 5du, 48h ou remover", a)
		}
		return cal.Due(now, dur), false, nil
	}
	due = time.Date(y, time.Month(mo), d, h, mi, 0, 0, loc)
	if due.Day() != d || int(due.Month()) != mo || h > 23 || mi > 59 {
		return time.Time{}, false, fmt.Errorf("data %q não existe", a)
	}
	if !due.After(now) {
		return time.Time{}, false, fmt.Errorf("prazo %q já passou", a)
	}
	return due, false, nil
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

// HelpText is the command table sent in answer to #ajuda (pt-BR first, English aliases).
const HelpText = `Comandos (no início da resposta, um por linha; o texto depois deles é o despacho):

#encaminhar UNIDADE        encaminha à unidade (código ou nome)        / #forward
#prazo 2026-12-15 17:00    define o prazo; também 15/12/2026, 5d,       / #deadline
                           5du (dias úteis), 48h ou remover
#publico / #privado        visibilidade do despacho e dos anexos        / #public, #private
#responder                 envia o despacho ao requerente (público)     / #reply
#nota                      nota interna, o requerente não é avisado     / #note
#concluir / #reabrir       conclui ou reabre o protocolo                / #close, #reopen
#tipo CÓDIGO               muda o tipo do protocolo                     / #type
#sobrestar motivo          suspende (o prazo para de correr)            / #suspend
#retomar                   retoma um protocolo sobrestado               / #resume
#requerente                seguido de linhas Nome:, CPF/CNPJ:,          / #requester
                           Matrícula:, Telefone:, E-mail: até uma linha em branco
#concluir RESULTADO        conclui com o resultado (obrigatório quando  / #close RESULT
                           o tipo lista resultados)
#prorrogar motivo          prorroga o prazo de resposta, uma vez; o     / #extend
                           motivo é enviado ao requerente
#complementar texto        pede informações ao requerente; o prazo de   / #request-info
                           resposta volta a contar por inteiro da resposta
#ajuda                     esta tabela                                  / #help`
