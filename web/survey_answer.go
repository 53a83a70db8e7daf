package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/webkit"
)

// surveyView is the satisfaction survey page.
type surveyView struct {
	Token    string
	Number   string
	TypeName string
	Unit     string
	Result   string
	Answered bool // thanks: the answer is recorded (now or before)
	Just     bool // answered by this request
	Rating   string
	Comment  string
	Errs     webkit.FieldErrors
	Max      int
}

// Ratings are the choices of the survey, 1 to 5, with their words.
func (surveyView) Ratings() [][2]string {
	return [][2]string{{"5", "Muito satisfeito"}, {"4", "Satisfeito"}, {"3", "Nem satisfeito nem insatisfeito"},
		{"2", "Insatisfeito"}, {"1", "Muito insatisfeito"}}
}

// surveyShow serves GET /avaliar/{token}: the survey form (a GET never
// records anything: mail scanners fetch every link).
func (s *server) surveyShow(w http.ResponseWriter, r *http.Request) {
	s.survey(w, r, false)
}

// surveyAnswer serves POST /avaliar/{token}: records a rating from 1 to 5
// and an optional comment, once per protocol (Lei 13.460/2017, art. 23).
func (s *server) surveyAnswer(w http.ResponseWriter, r *http.Request) {
	s.survey(w, r, true)
}

func (s *server) survey(w http.ResponseWriter, r *http.Request, post bool) {
	pp := s.publicPages()
	if pp == nil {
		s.notFound(w, r)
		return
	}
	token := r.PathValue("token")
	sv, err := pp.Survey(r.Context(), token)
	if err != nil {
		s.surveyError(w, r, err)
		return
	}
	v := &surveyView{Token: token, Number: sv.Number, TypeName: sv.TypeName, Unit: sv.UnitName, Result: sv.Result,
		Answered: sv.Answered, Max: core.MaxSurveyComment}
	status := http.StatusOK
	if post && !sv.Answered {
		if err := webkit.ReadForm(w, r, 64<<10); err != nil {
			status = http.StatusBadRequest
			v.Errs.Add("nota", "Não foi possível ler o formulário; tente de novo.")
		} else {
			defer webkit.RemoveForm(r)
			v.Rating, v.Comment = webkit.Field(r, "nota"), webkit.Field(r, "comentario")
			rating, _ := strconv.Atoi(v.Rating)
			if rating < 1 || rating > 5 {
				v.Errs.Add("nota", "Escolha uma nota de 1 a 5.")
			}
			if utf8.RuneCountInString(v.Comment) > core.MaxSurveyComment {
				v.Errs.Add("comentario", "O comentário passou de "+strconv.Itoa(core.MaxSurveyComment)+" caracteres; encurte-o.")
			}
			if v.Errs.Len() > 0 {
				status = http.StatusUnprocessableEntity
			} else {
				_, err := pp.AnswerSurvey(r.Context(), token, rating, strings.TrimSpace(v.Comment))
				switch {
				case err == nil:
					v.Answered, v.Just = true, true
				case errors.Is(err, core.ErrSurveyAnswered):
					v.Answered = true
				default:
					s.surveyError(w, r, err)
					return
				}
			}
		}
	}
	if !sv.Answered && !v.Answered && sv.Status != core.StatusConcluded {
		s.surveyError(w, r, core.ErrSurveyNotReady)
		return
	}
	s.render(w, status, "avaliar", &page{Title: "Avaliação do atendimento", OrgName: sv.OrgName, Survey: v})
}

// surveyError answers a bad link (404) or a failure.
func (s *server) surveyError(w http.ResponseWriter, r *http.Request, err error) {
	var msg string
	switch {
	case errors.Is(err, core.ErrSealInvalid), errors.Is(err, core.ErrNotFound):
		msg = "Este link de avaliação não é válido. Use o link da mensagem de conclusão do seu protocolo, sem alterá-lo."
	case errors.Is(err, core.ErrSurveyNotReady):
		msg = "O protocolo deste link ainda não foi concluído; a avaliação fica disponível na conclusão."
	default:
		s.unavailable(w, r, err)
		return
	}
	s.render(w, http.StatusNotFound, "error", &page{Title: "Avaliação indisponível", OrgName: s.org.Name(r.Context()),
		Error: &webkit.ErrorView{Kind: "aviso", Title: "Avaliação indisponível", Message: msg}})
}
