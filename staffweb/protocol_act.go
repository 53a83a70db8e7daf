package staffweb

import (
	"net/http"
	"strings"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/webkit"
)

// actionForm is the protocol page's action form as submitted. The
// structured controls are written as command lines (Lines), after the
// lines typed in comandos: the same text a mail reply would carry.
type actionForm struct {
	Commands   string // comandos: lines in the mail grammar
	Forward    string // encaminhar: unit code
	Deadline   string // prazo: as #prazo takes it
	Type       string // tipo: type code
	Visibility string // visibilidade: "", publico, privado
	Reply      bool   // responder
	Note       bool   // nota
	Close      bool   // concluir
	Reopen     bool   // reabrir
	Suspend    string // sobrestar: the reason
	Resume     bool   // retomar
	Result     string // resultado: the result of #concluir RESULTADO
	Extend     string // prorrogar: the reason of #prorrogar, sent to the requester
	Request    string // complementar: what #complementar asks the requester
	Dispatch   string // despacho
}

func readActionForm(r *http.Request) actionForm {
	on := func(name string) bool { return webkit.Field(r, name) != "" }
	return actionForm{Commands: webkit.Field(r, "comandos"), Forward: webkit.Field(r, "encaminhar"), Deadline: webkit.Field(r, "prazo"),
		Type: webkit.Field(r, "tipo"), Visibility: webkit.Field(r, "visibilidade"), Reply: on("responder"), Note: on("nota"),
		Close: on("concluir"), Reopen: on("reabrir"), Suspend: webkit.Field(r, "sobrestar"), Resume: on("retomar"),
		Result: webkit.Field(r, "resultado"), Extend: webkit.Field(r, "prorrogar"), Request: webkit.Field(r, "complementar"),
		Dispatch: webkit.Field(r, "despacho")}
}

// Lines returns the command lines of the form: the typed ones, then one
// per structured control that was used.
func (f actionForm) Lines() string {
	var l []string
	if c := strings.TrimSpace(f.Commands); c != "" {
		l = append(l, c)
	}
	one := func(s string) string { return strings.Join(strings.Fields(s), " ") } // one line
	if f.Type != "" {
		l = append(l, "#tipo "+one(f.Type))
	}
	if f.Forward != "" {
		l = append(l, "#encaminhar "+one(f.Forward))
	}
	if f.Deadline != "" {
		l = append(l, "#prazo "+one(f.Deadline))
	}
	switch f.Visibility {
	case "publico":
		l = append(l, "#publico")
	case "privado":
		l = append(l, "#privado")
	}
	if f.Reply {
		l = append(l, "#responder")
	}
	if f.Note {
		l = append(l, "#nota")
	}
	if f.Suspend != "" {
		l = append(l, "#sobrestar "+one(f.Suspend))
	}
	if f.Resume {
		l = append(l, "#retomar")
	}
	if f.Extend != "" {
		l = append(l, "#prorrogar "+one(f.Extend))
	}
	if f.Request != "" {
		l = append(l, "#complementar "+one(f.Request))
	}
	if f.Reopen {
		l = append(l, "#reabrir")
	}
	if f.Close {
		l = append(l, strings.TrimSpace("#concluir "+one(f.Result)))
	}
	return strings.Join(l, "\n")
}

// files reads the anexos of a form as core attachments.
func (s *server) files(r *http.Request) ([]core.InboundAttachment, error) {
	ups, err := webkit.Uploads(r, "anexos", s.opts.MaxUploadBytes)
	if err != nil {
		return nil, err
	}
	out := make([]core.InboundAttachment, 0, len(ups))
	for _, u := range ups {
		out = append(out, core.InboundAttachment{Filename: u.Filename, ContentType: u.ContentType, Data: u.Data})
	}
	return out, nil
}

// protocolAct is POST /gestao/p/{number} (comandos, the structured
// controls, despacho, anexos, chave): it runs the commands through
// core.Service.Act — the same application as a mail reply, all or nothing
// — and shows the transcript on the page (422 when refused: the commands
// kept to be corrected; a dispatch, kept by core as the note of the
// attempt, is linked instead of offered again).
func (s *server) protocolAct(w http.ResponseWriter, r *http.Request) {
	n, ok := s.number(w, r)
	if !ok {
		return
	}
	if err := webkit.ReadForm(w, r, s.opts.MaxUploadBytes); err != nil {
		s.fail(w, r, http.StatusRequestEntityTooLarge, "Envio grande demais", "Os anexos passam do limite de tamanho; envie menos arquivos ou arquivos menores.")
		return
	}
	defer webkit.RemoveForm(r)
	st, _ := staffFrom(r)
	f := readActionForm(r)
	files, err := s.files(r)
	if err != nil {
		s.protocolPage(w, r, n, http.StatusUnprocessableEntity, nil, f, "Um dos anexos passa do limite de tamanho; nada foi aplicado.")
		return
	}
	lines := f.Lines()
	if lines == "" && strings.TrimSpace(f.Dispatch) == "" && len(files) == 0 {
		s.protocolPage(w, r, n, http.StatusUnprocessableEntity, nil, f, "Escreva um despacho ou escolha um comando.")
		return
	}
	res, err := s.svc.Act(r.Context(), core.StaffAction{Staff: st, Number: &n, Commands: lines, Dispatch: f.Dispatch, Files: files,
		Key: webkit.Field(r, "chave")})
	if err != nil {
		s.failErr(w, r, err)
		return
	}
	switch {
	case res.Outcome == core.OutcomeDuplicate:
		s.protocolPage(w, r, n, http.StatusOK, nil, actionForm{}, "Esta ação já tinha sido registrada (envio repetido); nada mudou.")
	case res.Transcript == nil:
		s.protocolPage(w, r, n, http.StatusOK, &core.Transcript{Applied: true}, actionForm{}, "")
	case !res.Transcript.Applied:
		if res.Transcript.NoteStep > 0 {
			// The text is on the protocol now, as the note of the attempt
			// (the issue-18 rule, every door): offering it again would
			// record it twice once the commands are corrected. The
			// commands come back to be corrected; the page links the note.
			f.Dispatch = ""
		}
		s.protocolPage(w, r, n, http.StatusUnprocessableEntity, res.Transcript, f, "")
	default:
		s.protocolPage(w, r, n, http.StatusOK, res.Transcript, actionForm{}, "")
	}
}
