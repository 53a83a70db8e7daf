package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/webkit"
)

// apiProtocol is the JSON twin of the protocol page: the same two levels.
type apiProtocol struct {
	Number      string           `json:"number"`
	Level       core.PublicLevel `json:"level"` // basic, full
	Status      core.Status      `json:"status"`
	StatusLabel string           `json:"status_label"`
	Type        string           `json:"type"`
	Unit        string           `json:"unit"`
	OpenedAt    time.Time        `json:"opened_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
	Deadline    *time.Time       `json:"deadline"`
	// LegalDeadline is the "prazo de resposta" the law gives the body;
	// null for none or while interrupted (awaiting the requester).
	LegalDeadline *time.Time `json:"legal_deadline"`
	Extended      bool       `json:"extended"`
	LegalBasis    string     `json:"legal_basis,omitempty"`
	Result        string     `json:"result,omitempty"`
	Subject       string     `json:"subject,omitempty"`
	Documents     []string   `json:"requester_documents,omitempty"`
	Steps         []apiStep  `json:"steps"` // oldest first
}

type apiStep struct {
	At       time.Time     `json:"at"`
	Kind     core.StepKind `json:"kind,omitempty"`
	Label    string        `json:"label"`
	Internal bool          `json:"internal"`
	FromUnit string        `json:"from_unit"`
	ToUnit   string        `json:"to_unit"`
	Text     string        `json:"text,omitempty"` // Markdown
	Files    []apiFile     `json:"files,omitempty"`
}

type apiFile struct {
	ID          int64  `json:"id"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Inline      bool   `json:"inline"`
	URL         string `json:"url,omitempty"` // with the key, when the key given was right
}

// apiProtocolShow is GET /api/protocolos/{number}[?k=KEY] and POST with a
// CPF/CNPJ in the body (form field documento, or JSON {"documento": …});
// a document in the URL is ignored. Errors are JSON: 400 numero_invalido or
// documento_invalido (before any database access), 404 nao_encontrado.
func (s *server) apiProtocolShow(w http.ResponseWriter, r *http.Request) {
	n, msg := checkNumber(r.PathValue("number"))
	if msg != "" {
		webkit.WriteJSONError(w, http.StatusBadRequest, "numero_invalido", msg)
		return
	}
	key := r.URL.Query().Get("k")
	var document string
	if r.Method == http.MethodPost {
		in := readAPIBody(w, r)
		if in.Key != "" {
			key = in.Key
		}
		document = in.Document
		if msg := checkDocument(document); msg != "" {
			webkit.WriteJSONError(w, http.StatusBadRequest, "documento_invalido", msg)
			return
		}
	}
	v, err := s.svc.PublicLookup(r.Context(), n, key, document)
	if errors.Is(err, core.ErrNotFound) {
		webkit.WriteJSONError(w, http.StatusNotFound, "nao_encontrado", "Não há protocolo com o número "+n.String()+".")
		return
	}
	if err != nil {
		s.unavailable(w, r, err)
		return
	}
	webkit.WriteJSON(w, http.StatusOK, s.apiView(v, n, key))
}

// readAPIBody reads the key and document of a POST: a JSON object
// ({"chave"|"key", "documento"|"document"}) or a form.
func readAPIBody(w http.ResponseWriter, r *http.Request) lookupInput {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/json" {
		var body struct {
			Chave     string `json:"chave"`
			Key       string `json:"key"`
			Documento string `json:"documento"`
			Document  string `json:"document"`
		}
		_ = json.NewDecoder(io.LimitReader(r.Body, maxFormBytes)).Decode(&body)
		return lookupInput{Key: firstNonEmpty(body.Chave, body.Key), Document: firstNonEmpty(body.Documento, body.Document)}
	}
	_ = r.ParseForm()
	return lookupInput{Key: firstNonEmpty(r.PostForm.Get("chave"), r.PostForm.Get("k")),
		Document: firstNonEmpty(r.PostForm.Get("documento"), r.PostForm.Get("document"))}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// apiView converts v, dates in the organization's time zone.
func (s *server) apiView(v core.PublicView, n core.Number, key string) apiProtocol {
	loc := v.Location()
	out := apiProtocol{
		Number: v.Number, Level: v.Level, Status: v.Status, StatusLabel: v.Status.Label().In(core.LangPtBR),
		Type: v.TypeName, Unit: v.UnitName, OpenedAt: v.OpenedAt.In(loc), UpdatedAt: v.UpdatedAt.In(loc),
		Subject: v.Subject, Documents: v.Documents, Steps: make([]apiStep, 0, len(v.Steps)),
	}
	if v.Deadline != nil {
		d := v.Deadline.In(loc)
		out.Deadline = &d
	}
	if v.LegalDeadline != nil {
		d := v.LegalDeadline.In(loc)
		out.LegalDeadline = &d
	}
	out.Extended, out.LegalBasis, out.Result = v.Extended, v.LegalBasis, v.Result
	for _, st := range v.Steps {
		as := apiStep{At: st.At.In(loc), Kind: st.Kind, Internal: st.Internal, FromUnit: st.FromUnit, ToUnit: st.ToUnit, Text: st.Text}
		as.Label = st.Kind.Label().In(core.LangPtBR)
		if st.Internal {
			as.Label = "Trâmite interno"
		}
		for _, f := range st.Files {
			af := apiFile{ID: f.ID, Filename: core.SafeFilename(f.Filename), ContentType: f.ContentType, Size: f.Size, Inline: f.Inline}
			if v.KeyOK {
				af.URL = attachmentURL(n, f.ID, key)
			}
			as.Files = append(as.Files, af)
		}
		out.Steps = append(out.Steps, as)
	}
	return out
}
