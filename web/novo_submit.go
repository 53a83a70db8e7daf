package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/internal/webkit"
)

// novoSubmit is POST /novo. In order: the per-client limit, the body size,
// the honeypot, the signed form token (refused under 3 s; an expired or
// unknown one gives the form again), the fields and files (422 with the
// errors next to each field, values and files kept), the per-e-mail
// limit; then a pending submission is stored and its confirmation mail
// queued, and the page says to check the mail. No number is taken here.
// Clients without browser headers (kiosks, partner systems) may post the
// same fields, with the token of a GET /novo at least 3 s old.
func (s *server) novoSubmit(w http.ResponseWriter, r *http.Request) {
	in := s.intake
	now := s.now()
	client, ok := s.acceptForm(w, r)
	if !ok {
		return
	}
	defer webkit.RemoveForm(r)
	types, err := in.svc.WebTypes(r.Context())
	if err != nil {
		s.unavailable(w, r, err)
		return
	}
	input := readNovo(r)
	tok, err := in.newForm.Check(webkit.Field(r, fieldToken))
	switch {
	case errors.Is(err, webkit.ErrFormTooFast):
		// Nothing stored (no files either), but the form comes back with
		// what was typed and the same token, good from 3 s after the GET:
		// a quick person loses nothing, a program gains nothing.
		s.log.Info("form refused: submitted too fast", "client", client, "path", r.URL.Path, "error", err)
		kept, err := in.svc.WebUploads(r.Context(), tok.ID)
		if err != nil {
			s.unavailable(w, r, err)
			return
		}
		v := s.newNovoView(types, input, &webkit.FieldErrors{}, webkit.Field(r, fieldToken), kept)
		v.Notice = tooFastNotice
		s.renderNovo(w, r, http.StatusUnprocessableEntity, v)
		return
	case err != nil:
		s.log.Info("form token refused", "client", client, "error", err)
		v := s.newNovoView(types, input, &webkit.FieldErrors{}, in.newForm.Issue(), nil)
		v.Notice = "O formulário expirou ou não pôde ser verificado. Confira os dados, escolha os arquivos de novo e envie."
		s.renderNovo(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	var errs webkit.FieldErrors
	ty, req, other := input.validate(types, &errs)
	maxFiles, maxBytes := fileLimits(ty)
	kept, ok := s.keepFiles(w, r, tok.ID, maxFiles, maxBytes, &errs)
	if !ok {
		return
	}
	if errs.Len() > 0 {
		s.log.Info("form refused: fields in error", "fields", errs.Fields())
		s.renderNovo(w, r, http.StatusUnprocessableEntity, s.newNovoView(types, input, &errs, webkit.Field(r, fieldToken), kept))
		return
	}
	// Counted only for a form ready to be stored: correcting a form is
	// not sending another.
	if ok, wait := in.byEmail.Allow(req.Email, now); !ok {
		s.formLimited(w, r, "e-mail", wait)
		return
	}
	raw, err := s.rawNovo(r.Context(), tok.ID, client, input, ty, req, other)
	if err != nil {
		s.unavailable(w, r, err)
		return
	}
	res, err := in.svc.SubmitWeb(r.Context(), core.WebSubmission{
		FormID: tok.ID, Opening: core.WebOpening{TypeCode: ty.Code, Requester: req, Other: other},
		Subject: input.Subject, Description: input.Description, Client: client, Raw: raw,
		Confirm: in.confirmLimit, PublicPath: confirmPath,
	})
	if errors.Is(err, core.ErrWebConfirmLimit) {
		w.Header().Set("Retry-After", "3600")
		s.refuse(w, http.StatusTooManyRequests, "Muitos pedidos para este e-mail",
			"Já enviamos "+strconv.Itoa(in.confirmLimit)+" e-mails de confirmação para este endereço na última hora.",
			"Confirme os pedidos pelos e-mails já enviados, ou tente novamente em uma hora.")
		return
	}
	if err != nil {
		s.unavailable(w, r, err)
		return
	}
	s.log.Info("web submission stored", "submission", res.ID, "again", res.Existing, "type", ty.Code)
	s.render(w, http.StatusOK, "novo_enviado", &page{Title: "Confirme pelo e-mail", OrgName: s.org.Name(r.Context()),
		Sent: &sentView{Email: maskEmail(req.Email), Again: res.Existing}})
}

// tooFastNotice heads a form given back because it was posted sooner after
// it was opened than a person can fill it in.
const tooFastNotice = "Envio rápido demais: o formulário foi enviado segundos depois de aberto, como fazem os programas " +
	"automáticos, e não foi registrado. Confira os dados (os arquivos, se havia, precisam ser escolhidos de novo) e envie outra vez."

// acceptForm applies what every public form post passes first: the
// per-client limit, the body size and the honeypot. It returns the
// client's rate-limit key; false when it has answered (429, 413, 400).
// The caller removes the form's temporary files (webkit.RemoveForm).
func (s *server) acceptForm(w http.ResponseWriter, r *http.Request) (client string, ok bool) {
	client = s.proxies.ClientKey(r)
	if ok, wait := s.intake.byClient.Allow(client, s.now()); !ok {
		s.formLimited(w, r, "endereço", wait)
		return client, false
	}
	if !s.readForm(w, r) {
		return client, false
	}
	if webkit.Field(r, fieldHoneypot) != "" {
		webkit.RemoveForm(r)
		s.log.Info("form refused: honeypot filled", "client", client, "path", r.URL.Path)
		s.refuse(w, http.StatusBadRequest, "Envio recusado",
			"O formulário chegou com um campo que só programas automáticos preenchem, e não foi registrado.",
			"Se você preencheu o formulário, abra-o de novo e envie sem preencher campos ocultos.")
		return client, false
	}
	return client, true
}

// readForm reads the posted form (urlencoded or multipart) up to the
// message size limit plus room for the fields; on failure it has answered
// (413 or 400) and returns false.
func (s *server) readForm(w http.ResponseWriter, r *http.Request) bool {
	limit := s.intake.svc.MaxMessageBytes()
	err := webkit.ReadForm(w, r, limit+1<<20)
	if errors.Is(err, webkit.ErrBodyTooLarge) {
		s.refuse(w, http.StatusRequestEntityTooLarge, "Envio grande demais",
			"O formulário com os arquivos passa do limite de "+sizeText(limit)+".",
			"Volte e envie arquivos menores (PDF compactado, fotos em resolução menor) ou em menor número.")
		return false
	}
	if err != nil {
		s.log.Info("malformed form", "path", r.URL.Path, "error", err)
		s.refuse(w, http.StatusBadRequest, "Formulário ilegível", "O formulário não chegou completo.", "Volte e envie de novo.")
		return false
	}
	return true
}

// keepFiles drops the kept files the visitor unticked, checks the new ones
// (size, sniffed type, count, total) and keeps the good ones for the form,
// so a form refused for another field does not lose them. It returns every
// file the form holds; false when it has answered with an error page.
func (s *server) keepFiles(w http.ResponseWriter, r *http.Request, formID string, maxFiles int, maxBytes int64,
	errs *webkit.FieldErrors) ([]core.WebUpload, bool) {
	ctx := r.Context()
	svc := s.intake.svc
	if ids := parseIDs(r.PostForm[fieldRemoveFile]); len(ids) > 0 {
		if err := svc.RemoveWebUploads(ctx, formID, ids); err != nil {
			s.unavailable(w, r, err)
			return nil, false
		}
	}
	kept, err := svc.WebUploads(ctx, formID)
	if err != nil {
		s.unavailable(w, r, err)
		return nil, false
	}
	ups, err := webkit.Uploads(r, fieldFiles, maxBytes)
	var tooLarge *webkit.FileTooLargeError
	switch {
	case errors.As(err, &tooLarge):
		errs.Add(fieldFiles, "O arquivo “"+tooLarge.Filename+"” passa do limite de "+sizeText(maxBytes)+" por arquivo.")
		return kept, true
	case err != nil:
		s.unavailable(w, r, err)
		return nil, false
	}
	var good []core.InboundAttachment
	total := int64(0)
	for _, k := range kept {
		total += k.Size
	}
	for _, u := range ups {
		if !slices.Contains(allowedTypes, u.ContentType) {
			errs.Add(fieldFiles, "O arquivo “"+u.Filename+"” não é de um tipo aceito: envie PDF, imagem (JPEG, PNG), texto, planilha ou documento de escritório.")
			continue
		}
		name := u.Filename
		if name == "" {
			name = "arquivo"
		}
		good = append(good, core.InboundAttachment{Filename: name, ContentType: u.ContentType, Data: u.Data})
		total += int64(len(u.Data))
	}
	switch {
	case len(kept)+len(good) > maxFiles:
		errs.Add(fieldFiles, "No máximo "+strconv.Itoa(maxFiles)+" arquivos por pedido; escolha menos arquivos.")
		return kept, true
	case total > svc.MaxMessageBytes():
		errs.Add(fieldFiles, "Os arquivos juntos passam do limite de "+sizeText(svc.MaxMessageBytes())+".")
		return kept, true
	case len(good) == 0:
		return kept, true
	}
	var kib int64
	for _, g := range good {
		kib += (int64(len(g.Data)) + 1023) >> 10
	}
	if ok, _ := s.intake.uploads.AllowN(s.proxies.ClientKey(r), s.now(), int(kib)); !ok {
		s.log.Info("form files refused: upload quota of the client address reached", "client", s.proxies.ClientKey(r), "kib", kib)
		errs.Add(fieldFiles, "Este endereço de rede já enviou muitos arquivos hoje; os novos não foram guardados. "+
			"Envie o pedido sem eles e mande os arquivos depois, respondendo ao e-mail de confirmação do protocolo.")
		return kept, true
	}
	kept, err = svc.SaveWebUploads(ctx, formID, good)
	if err != nil {
		s.unavailable(w, r, err)
		return nil, false
	}
	return kept, true
}

// parseIDs reads positive integers, skipping anything else.
func parseIDs(vals []string) []int64 {
	var out []int64
	for _, v := range vals {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// rawNovo writes the submission as an RFC 5322 message with its files.
func (s *server) rawNovo(ctx context.Context, formID, client string, in novoInput, ty *core.WebType, req core.Person,
	other *core.Person) ([]byte, error) {
	org, err := s.intake.svc.Organization(ctx)
	if err != nil {
		return nil, err
	}
	files, err := s.intake.svc.WebUploadFiles(ctx, formID)
	if err != nil {
		return nil, err
	}
	fields := map[string]any{fieldType: ty.Code, fieldSubject: in.Subject, fieldDescription: in.Description,
		"requerente": req, fieldOther: other != nil}
	if other != nil {
		fields["outro_requerente"] = other
	}
	return rawForm{From: core.Address{Name: req.Name, Email: req.Email}, To: org.Address, Subject: in.Subject,
		MessageID: core.WebMessageID(formID, org.Address), Form: "/novo", Client: client, Date: s.now(),
		Text: in.Description, Fields: fields, Files: files}.bytes()
}
