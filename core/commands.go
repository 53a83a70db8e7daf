package core

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// TranscriptLine is one line of a command_result transcript (debbugs
// style): the command as written, then ok with what changed, or the error.
type TranscriptLine struct {
	Line   string `json:"line"`
	OK     bool   `json:"ok"`
	Result string `json:"result"`
}

// commandRun validates and applies the commands of one staff message.
type commandRun struct {
	it     *ingestTx
	tx     pgx.Tx
	p      protocolRow
	staff  Staff
	cal    Calendar
	parsed ParsedCommands
	lines  []TranscriptLine
	failed bool

	// resolved effects, applied in a fixed order after validation
	forwardTo      *Unit
	deadline       *time.Time
	deadlineSet    bool // #prazo given (deadline nil = remove)
	deadlineBiz    bool // the deadline was given in business days
	visibility     Visibility
	reply, note    bool
	closeIt        bool
	reopen         bool
	suspendReason  string
	resume         bool
	newType        *ProtocolType
	otherRequester *Person
	help           bool
	extendReason   string     // #prorrogar
	extendedTo     *time.Time // the legal deadline after #prorrogar
	extensionSpec  string
	infoRequest    string // #complementar: what the requester is asked
	infoFromText   bool   // the request is the dispatch text (no argument)
	result         string // #concluir RESULTADO
	legalState     *legalState

	events   []string // for the status update to the requesters
	stepText int64    // step carrying the dispatch text and files
}

// loadActiveStaff returns the active staff member with id (when not 0) or
// else with email, with their units; ErrNotFound when there is none.
func loadActiveStaff(ctx context.Context, db DBTX, id int64, email string) (Staff, error) {
	var st Staff
	err := db.QueryRow(ctx, `SELECT s.id, s.email, s.name, s.role, s.active,
		coalesce(array_agg(su.unit_id) FILTER (WHERE su.unit_id IS NOT NULL), '{}')
		FROM staff s LEFT JOIN staff_units su ON su.staff_id = s.id
		WHERE s.active AND CASE WHEN $1 <> 0 THEN s.id = $1 ELSE s.email = $2 END GROUP BY s.id`, id, email).
		Scan(&st.ID, &st.Email, &st.Name, &st.Role, &st.Active, &st.UnitIDs)
	if isNoRows(err) {
		return st, fmt.Errorf("staff %d %s: %w", id, email, ErrNotFound)
	}
	if err != nil {
		return st, fmt.Errorf("loading staff: %w", err)
	}
	return st, nil
}

// resolveUnit finds an active unit by code or name, case- and accent-insensitive.
func resolveUnit(ctx context.Context, db DBTX, ref string) (Unit, error) {
	rows, err := db.Query(ctx, `SELECT id, code, name, coalesce(email, ''), active FROM units ORDER BY id`)
	if err != nil {
		return Unit{}, fmt.Errorf("loading units: %w", err)
	}
	units, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Unit, error) {
		var u Unit
		return u, r.Scan(&u.ID, &u.Code, &u.Name, &u.Email, &u.Active)
	})
	if err != nil {
		return Unit{}, fmt.Errorf("loading units: %w", err)
	}
	want := Fold(ref)
	for _, u := range units {
		if Fold(u.Code) == want || Fold(u.Name) == want {
			if !u.Active {
				return u, fmt.Errorf("a unidade %s está desativada", u.Code)
			}
			return u, nil
		}
	}
	return Unit{}, fmt.Errorf("unidade %q não encontrada", ref)
}

// resolveType finds an active protocol type by code or name.
func resolveType(ctx context.Context, db DBTX, ref string) (ProtocolType, error) {
	rows, err := db.Query(ctx, `SELECT `+typeColumns+` FROM protocol_types WHERE active`)
	if err != nil {
		return ProtocolType{}, fmt.Errorf("loading types: %w", err)
	}
	types, err := pgx.CollectRows(rows, scanType)
	if err != nil {
		return ProtocolType{}, fmt.Errorf("loading types: %w", err)
	}
	want := Fold(ref)
	for _, t := range types {
		if Fold(t.Code) == want || Fold(t.Name) == want {
			return t, nil
		}
	}
	return ProtocolType{}, fmt.Errorf("tipo %q não encontrado", ref)
}

// typeColumns are the protocol_types columns scanType reads, in order.
const typeColumns = `id, code, name, description, unit_id, coalesce(deadline, ''), visibility,
	coalesce(legal_deadline, ''), coalesce(extension, ''), legal_basis, results`

// scanType reads a row of typeColumns.
func scanType(r pgx.CollectableRow) (ProtocolType, error) {
	var t ProtocolType
	return t, r.Scan(&t.ID, &t.Code, &t.Name, &t.Description, &t.UnitID, &t.Deadline, &t.Visibility,
		&t.LegalDeadline, &t.Extension, &t.LegalBasis, &t.Results)
}

// loadType returns the protocol type id (active or not).
func loadType(ctx context.Context, db DBTX, id int64) (ProtocolType, error) {
	rows, err := db.Query(ctx, `SELECT `+typeColumns+` FROM protocol_types WHERE id = $1`, id)
	if err != nil {
		return ProtocolType{}, fmt.Errorf("loading type %d: %w", id, err)
	}
	t, err := pgx.CollectOneRow(rows, scanType)
	if err != nil {
		return t, fmt.Errorf("loading type %d: %w", id, err)
	}
	return t, nil
}

// legalState is the protocol's legal deadline as commands see it.
type legalState struct {
	deadline      *time.Time
	extendedAt    *time.Time
	infoRequested *time.Time
}

// legal loads the protocol's legal deadline state once per run.
func (r *commandRun) legal(ctx context.Context) (*legalState, error) {
	if r.legalState != nil {
		return r.legalState, nil
	}
	var l legalState
	err := r.tx.QueryRow(ctx, `SELECT legal_deadline, extended_at, info_requested_at FROM protocols WHERE id = $1`, r.p.ID).
		Scan(&l.deadline, &l.extendedAt, &l.infoRequested)
	if err != nil {
		return nil, fmt.Errorf("loading legal deadline: %w", err)
	}
	r.legalState = &l
	return &l, nil
}

// currentType is the protocol's type, or the one a #tipo line before
// sets.
func (r *commandRun) currentType(ctx context.Context) (ProtocolType, error) {
	if r.newType != nil {
		return *r.newType, nil
	}
	return loadType(ctx, r.tx, r.p.TypeID)
}

// validate resolves every command against the protocol's state as it would
// be after the lines before it, filling the transcript. It reports whether
// all lines are fine.
func (r *commandRun) validate(ctx context.Context) error {
	status := r.p.Status
	perm := CanAct(r.staff, r.p.UnitID)
	for _, c := range r.parsed.Commands {
		line := TranscriptLine{Line: c.Line, OK: true}
		fail := func(msg string) { line.OK, line.Result, r.failed = false, msg, true }
		switch {
		case c.Err != "":
			fail(c.Err)
		case c.Name == CmdHelp:
			r.help, line.Result = true, "tabela de comandos enviada abaixo"
		case perm != nil:
			fail(strings.TrimPrefix(perm.Error(), ErrForbidden.Error()+": "))
		case status == StatusConcluded && c.Name != CmdReopen && c.Name != CmdNote && c.Name != CmdPublic && c.Name != CmdPrivate:
			fail("o protocolo está concluído; use #reabrir antes")
		default:
			var err error
			line.Result, err = r.validateOne(ctx, c, &status)
			if err != nil {
				fail(err.Error())
			}
		}
		r.lines = append(r.lines, line)
	}
	if !r.failed {
		switch {
		case r.visibility == Private && r.reply:
			r.lines = append(r.lines, TranscriptLine{Line: "#responder + #privado", Result: "uma resposta ao requerente é sempre pública"})
			r.failed = true
		case r.reply && r.note:
			r.lines = append(r.lines, TranscriptLine{Line: "#responder + #nota", Result: "escolha entre resposta ao requerente e nota interna"})
			r.failed = true
		case r.closeIt && r.reopen:
			// The effects apply in a fixed order, not the written one.
			r.lines = append(r.lines, TranscriptLine{Line: "#concluir + #reabrir", Result: "use um dos dois comandos por mensagem"})
			r.failed = true
		case r.suspendReason != "" && r.resume:
			r.lines = append(r.lines, TranscriptLine{Line: "#sobrestar + #retomar", Result: "use um dos dois comandos por mensagem"})
			r.failed = true
		case r.reply && strings.TrimSpace(r.parsed.Dispatch) == "":
			r.lines = append(r.lines, TranscriptLine{Line: "#responder", Result: "o texto da resposta está vazio: escreva-o depois dos comandos"})
			r.failed = true
		}
	}
	return nil
}

func (r *commandRun) validateOne(ctx context.Context, c Command, status *Status) (string, error) {
	switch c.Name {
	case CmdForward:
		u, err := resolveUnit(ctx, r.tx, c.Arg)
		if err != nil {
			return "", err
		}
		if u.ID == r.p.UnitID {
			return "", fmt.Errorf("o protocolo já está na unidade %s", u.Code)
		}
		r.forwardTo = &u // whoever may act on the protocol (validate) may forward it anywhere
		return "encaminhado para " + u.Code + " — " + u.Name, nil
	case CmdDeadline:
		due, remove, err := ParseDeadline(c.Arg, r.it.now, r.cal)
		if err != nil {
			return "", err
		}
		r.deadlineSet = true
		if d, err := ParseDuration(c.Arg); err == nil && d.Unit == UnitBusinessDays {
			r.deadlineBiz = true
		}
		if remove {
			r.deadline = nil
			return "prazo removido", nil
		}
		r.deadline = &due
		return "prazo: " + due.In(r.cal.loc()).Format("02/01/2006 15:04"), nil
	case CmdPublic, CmdPrivate:
		v := Public
		if c.Name == CmdPrivate {
			v = Private
		}
		if r.visibility != "" && r.visibility != v {
			return "", errors.New("#publico e #privado na mesma mensagem")
		}
		r.visibility = v
		return map[Visibility]string{Public: "despacho público", Private: "despacho privado"}[v], nil
	case CmdReply:
		r.reply = true
		return "resposta enviada ao requerente", nil
	case CmdNote:
		r.note = true
		return "nota interna registrada", nil
	case CmdClose:
		if *status == StatusConcluded {
			return "", errors.New("o protocolo já está concluído")
		}
		ty, err := r.currentType(ctx)
		if err != nil {
			return "", err
		}
		result, err := conclusionResult(ty, c.Arg)
		if err != nil {
			return "", err
		}
		*status, r.closeIt, r.result = StatusConcluded, true, result
		if result != "" {
			return "protocolo concluído; resultado: " + result, nil
		}
		return "protocolo concluído", nil
	case CmdExtend:
		return r.validateExtend(ctx, c, *status)
	case CmdRequestInfo:
		if *status != StatusOpen {
			return "", fmt.Errorf("só se pedem informações ao requerente num protocolo em andamento (situação: %s)", *status)
		}
		l, err := r.legal(ctx)
		if err != nil {
			return "", err
		}
		if l.infoRequested != nil {
			return "", fmt.Errorf("as informações já foram pedidas ao requerente em %s; a complementação é permitida uma vez por protocolo",
				l.infoRequested.In(r.cal.loc()).Format("02/01/2006"))
		}
		r.infoRequest = c.Arg
		if r.infoRequest == "" {
			r.infoRequest, r.infoFromText = strings.TrimSpace(r.parsed.Dispatch), true
		}
		if r.infoRequest == "" {
			return "", errors.New("escreva o que o requerente deve informar: #complementar texto, ou o texto depois dos comandos")
		}
		*status = StatusAwaitingRequester
		return "informações pedidas ao requerente; o prazo de resposta fica interrompido até a resposta", nil
	case CmdReopen:
		if *status != StatusConcluded {
			return "", errors.New("o protocolo não está concluído")
		}
		*status, r.reopen = StatusOpen, true
		return "protocolo reaberto", nil
	case CmdSuspend:
		if *status != StatusOpen {
			return "", errors.New("só um protocolo aberto pode ser sobrestado")
		}
		*status, r.suspendReason = StatusSuspended, c.Arg
		return "protocolo sobrestado: " + c.Arg, nil
	case CmdResume:
		if *status != StatusSuspended {
			return "", errors.New("o protocolo não está sobrestado")
		}
		*status, r.resume = StatusOpen, true
		return "protocolo retomado", nil
	case CmdType:
		t, err := resolveType(ctx, r.tx, c.Arg)
		if err != nil {
			return "", err
		}
		if t.ID == r.p.TypeID {
			return "", fmt.Errorf("o protocolo já é do tipo %s", t.Code)
		}
		r.newType = &t
		var unit string
		_ = r.tx.QueryRow(ctx, `SELECT code FROM units WHERE id = $1`, t.UnitID).Scan(&unit)
		res := "tipo alterado para " + t.Code + " — " + t.Name
		if t.UnitID != r.p.UnitID {
			res += "; a unidade padrão deste tipo é " + unit + " (use #encaminhar " + unit + " para movê-lo)"
		}
		return res, nil
	case CmdRequester:
		r.otherRequester = c.Fields
		return "requerente registrado: " + describePerson(*c.Fields), nil
	}
	return "", fmt.Errorf("comando %q não tratado", c.Line)
}

// validateExtend checks #prorrogar: once per protocol, on a type that
// allows an extension, with the legal deadline running.
func (r *commandRun) validateExtend(ctx context.Context, c Command, status Status) (string, error) {
	if r.extendReason != "" {
		return "", errors.New("#prorrogar repetido na mesma mensagem")
	}
	ty, err := r.currentType(ctx)
	if err != nil {
		return "", err
	}
	l, err := r.legal(ctx)
	if err != nil {
		return "", err
	}
	basis := ""
	if ty.LegalBasis != "" {
		basis = " (" + ty.LegalBasis + ")"
	}
	switch {
	case l.extendedAt != nil:
		return "", fmt.Errorf("o prazo de resposta já foi prorrogado em %s; a prorrogação é permitida uma vez só%s",
			l.extendedAt.In(r.cal.loc()).Format("02/01/2006"), basis)
	case ty.Extension == "":
		return "", fmt.Errorf("o tipo %s não admite prorrogação do prazo de resposta", ty.Code)
	case status == StatusAwaitingRequester:
		return "", errors.New("o prazo de resposta está interrompido aguardando o requerente; prorrogue depois da resposta")
	case l.deadline == nil:
		return "", errors.New("este protocolo não tem prazo de resposta a prorrogar")
	}
	d, err := ParseDuration(ty.Extension)
	if err != nil {
		return "", fmt.Errorf("extensão %q do tipo %s: %w", ty.Extension, ty.Code, err)
	}
	due := r.cal.Due(*l.deadline, d)
	r.extendReason, r.extendedTo, r.extensionSpec = c.Arg, &due, ty.Extension
	return "prazo de resposta prorrogado até " + due.In(r.cal.loc()).Format("02/01/2006") + "; justificativa enviada ao requerente", nil
}

// conclusionResult checks the argument of #concluir against the type's
// results: where the type lists them, one is required (case and accents
// forgiven; the listed spelling is kept); otherwise any text is the result.
func conclusionResult(ty ProtocolType, arg string) (string, error) {
	arg = strings.TrimSpace(arg)
	if len(ty.Results) == 0 {
		return arg, nil
	}
	for _, res := range ty.Results {
		if Fold(res) == Fold(arg) {
			return res, nil
		}
	}
	if arg == "" {
		return "", fmt.Errorf("informe o resultado: #concluir %s", strings.Join(ty.Results, " | "))
	}
	return "", fmt.Errorf("resultado %q não previsto para o tipo %s; use um de: %s", arg, ty.Code, strings.Join(ty.Results, ", "))
}

// describePerson names a requester for transcripts, with the document masked.
func describePerson(p Person) string {
	var parts []string
	if p.Name != "" {
		parts = append(parts, p.Name)
	}
	if p.Document != "" {
		parts = append(parts, MaskDocument(p.Document))
	}
	if p.Email != "" {
		parts = append(parts, p.Email)
	}
	return strings.Join(parts, ", ")
}
