package core

// The one vocabulary people read: every place that shows a status, a step
// kind, a visibility, a participant's role, a notification kind or an
// outbox status to a person (mail templates, the public lookup page, the
// CLI, the staff site) takes its words from the tables below, in pt-BR and
// English. The codes (Status, StepKind, ...) stay in the database, the JSON
// and the logs. Adding a status or a step kind is one row here.

// Languages Tramita writes in (BCP 47 tags, as TRAMITA_LANG takes them).
const (
	LangPtBR = "pt-BR" // the default
	LangEn   = "en"
)

// Label is a word or short phrase in each language Tramita writes, written
// as it stands alone (a list item, a table cell, "Situação: Aberto").
type Label struct {
	PtBR string
	En   string
}

// In returns the label in lang: English for "en" and any "en-" tag,
// pt-BR otherwise.
func (l Label) In(lang string) string {
	if lang == LangEn || len(lang) > 3 && lang[:3] == "en-" {
		return l.En
	}
	return l.PtBR
}

// StatusInfo is one row of the status table.
type StatusInfo struct {
	Status Status
	Label  Label
	// Hint says in a few words what the status means for the requester,
	// for the sentences that explain it ("o prazo não corre"); "" when the
	// label says it all.
	Hint Label
}

// statuses is the status table, in the order a protocol usually passes
// through them.
var statuses = []StatusInfo{
	{StatusOpen, Label{"Aberto", "Open"}, Label{}},
	{StatusSuspended, Label{"Sobrestado", "Suspended"}, Label{"suspenso temporariamente; o prazo não corre", "paused for now; the deadline does not run"}},
	{StatusAwaitingRequester, Label{"Aguardando requerente", "Awaiting the requester"},
		Label{"o órgão pediu informações ao requerente; o prazo de resposta volta a contar por inteiro quando ele responder",
			"the body asked the requester for information; the deadline to answer counts again in full from the answer"}},
	{StatusConcluded, Label{"Concluído", "Concluded"}, Label{}},
}

// Statuses returns every protocol status with its labels, in order.
func Statuses() []StatusInfo { return append([]StatusInfo(nil), statuses...) }

// Info returns s's row of the status table; an unknown status gets its
// code as label.
func (s Status) Info() StatusInfo {
	for _, r := range statuses {
		if r.Status == s {
			return r
		}
	}
	return StatusInfo{Status: s, Label: Label{string(s), string(s)}}
}

// Label returns s's label (its code when unknown).
func (s Status) Label() Label { return s.Info().Label }

// stepKinds labels the step kinds (trâmites) as the history shows them.
var stepKinds = []struct {
	kind  StepKind
	label Label
}{
	{StepOpened, Label{"Abertura", "Opening"}},
	{StepMessage, Label{"Mensagem do requerente", "Message from the requester"}},
	{StepForwarded, Label{"Encaminhamento", "Forwarding"}},
	{StepDispatch, Label{"Despacho", "Dispatch"}},
	{StepReply, Label{"Resposta ao requerente", "Answer to the requester"}},
	{StepNote, Label{"Nota", "Note"}},
	{StepConcluded, Label{"Conclusão", "Conclusion"}},
	{StepReopened, Label{"Reabertura", "Reopening"}},
	{StepSuspended, Label{"Sobrestamento", "Suspension"}},
	{StepResumed, Label{"Retomada", "Resumption"}},
	{StepDeadline, Label{"Prazo alterado", "Deadline changed"}},
	{StepTypeChanged, Label{"Tipo alterado", "Type changed"}},
	{StepRequesterChanged, Label{"Requerente alterado", "Requester changed"}},
	{StepAutoReply, Label{"Resposta automática", "Automatic reply"}},
	{StepBounce, Label{"Devolução de mensagem", "Bounced message"}},
	{StepExtended, Label{"Prazo de resposta prorrogado", "Deadline to answer extended"}},
	{StepInfoRequested, Label{"Pedido de informações ao requerente", "Information asked of the requester"}},
}

// StepKinds returns every step kind, in the table's order.
func StepKinds() []StepKind {
	out := make([]StepKind, len(stepKinds))
	for i, r := range stepKinds {
		out[i] = r.kind
	}
	return out
}

// Label returns k's label; an unknown kind is "Trâmite" / "Step".
func (k StepKind) Label() Label {
	for _, r := range stepKinds {
		if r.kind == k {
			return r.label
		}
	}
	return Label{"Trâmite", "Step"}
}

// Label returns v's label.
func (v Visibility) Label() Label {
	switch v {
	case Public:
		return Label{"Público", "Public"}
	case Private:
		return Label{"Interno", "Internal"}
	}
	return Label{string(v), string(v)}
}

// ParticipantRoleLabel labels a participant's role (participants.role,
// ParticipantView.Role): requester, other_requester, cc.
func ParticipantRoleLabel(role string) Label {
	switch role {
	case "requester":
		return Label{"Requerente", "Requester"}
	case "other_requester":
		return Label{"Outro requerente", "Other requester"}
	case "cc":
		return Label{"Em cópia", "In copy"}
	}
	return Label{role, role}
}

// DeliveryStatusLabel labels an outbox status (DeliveryQueued, ...).
func DeliveryStatusLabel(status string) Label {
	switch status {
	case DeliveryQueued:
		return Label{"Na fila", "Queued"}
	case DeliverySent:
		return Label{"Enviada", "Sent"}
	case DeliveryFailed:
		return Label{"Falhou", "Failed"}
	case DeliveryHeld:
		return Label{"Retida", "Held"}
	}
	return Label{status, status}
}
