package core

// KeyScope says which copies of a notification carry the protocol's access
// key (DESIGN.md: "the link in every requester e-mail carries the key").
type KeyScope int

// Key scopes.
const (
	KeyNone       KeyScope = iota // no copy shows the key
	KeyEveryCopy                  // the key is part of the mail itself (the acknowledgement)
	KeyRequesters                 // the requesters (To) get the keyed lookup link; Cc'd participants do not
)

// KindInfo describes one notification kind: who reads it and how the
// mailer treats it. The worker, the renderer and the tests read these
// fields instead of naming kinds, so adding a kind is one row of
// notificationKinds plus its templates (templates/mail/LANG/KIND.md).
type KindInfo struct {
	Kind  NotificationKind
	Label Label // what the mail is, as a person names it ("confirmação de abertura")
	// ToRequester: written to requesters (citizens). Their mail never shows
	// internal text, staff addresses or the requester's e-mail; the other
	// kinds go to staff and may.
	ToRequester bool
	// AutoReplied: the mail answers a message the recipient sent, so it is
	// "Auto-Submitted: auto-replied" (RFC 3834 §5); otherwise
	// "auto-generated". Either way responders do not answer it.
	AutoReplied bool
	// CarriesFiles: the step's files go along as attachments (up to the
	// mailer's byte limit).
	CarriesFiles bool
	// StepText: with no dispatch in its data, the mail shows the step's
	// text; for a kind ToRequester only when the step is public.
	StepText bool
	// RecordsFailures: a failed delivery is recorded on the protocol
	// (delivery_failures, the participant marked failing) and the holding
	// unit is told by a delivery_failed notice. Mail to staff and units is
	// left out: its failures stay on the notification, and telling a unit
	// about its own failed notice could loop.
	RecordsFailures bool
	// AccessKey: which copies carry the protocol's access key.
	AccessKey KeyScope
	// NewMessageOnReply: a reply to this mail when it is about no protocol
	// is read as a new message (it may open a protocol): the too-large
	// answer asks for the request again. For every other kind such a reply
	// is recorded and opens nothing, so the quoted sign-in or confirmation
	// link, alert or digest never becomes a protocol's opening text. A reply
	// to mail about a protocol is read on that protocol, whatever the kind.
	NewMessageOnReply bool
}

// notificationKinds is the table of notification kinds, in DESIGN.md order
// ("Notifications"). Data keys per kind are listed in delivery.go.
var notificationKinds = []KindInfo{
	{Kind: NotifyAck, Label: Label{"confirmação de abertura", "acknowledgement"},
		ToRequester: true, AutoReplied: true, RecordsFailures: true, AccessKey: KeyEveryCopy},
	{Kind: NotifyUnitNotice, Label: Label{"aviso à unidade", "notice to the unit"},
		CarriesFiles: true, StepText: true},
	{Kind: NotifyStatusUpdate, Label: Label{"aviso de andamento", "status update"},
		ToRequester: true, RecordsFailures: true, AccessKey: KeyRequesters},
	{Kind: NotifyReply, Label: Label{"resposta ao requerente", "answer to the requester"},
		ToRequester: true, CarriesFiles: true, StepText: true, RecordsFailures: true, AccessKey: KeyRequesters},
	{Kind: NotifyRequesterMessage, Label: Label{"mensagem do requerente", "message from the requester"},
		CarriesFiles: true, StepText: true},
	{Kind: NotifyCommandResult, Label: Label{"resultado dos comandos", "result of the commands"}},
	{Kind: NotifyCommandRejected, Label: Label{"comandos não aplicados", "commands not applied"}},
	{Kind: NotifyDeliveryFailed, Label: Label{"aviso de falha de entrega", "delivery failure notice"}},
	{Kind: NotifyTooLarge, Label: Label{"aviso de mensagem grande demais", "message too large notice"},
		ToRequester: true, AutoReplied: true, NewMessageOnReply: true},
	{Kind: NotifyReminderDueSoon, Label: Label{"lembrete de prazo próximo", "deadline soon reminder"}},
	{Kind: NotifyReminderDue, Label: Label{"lembrete de prazo vencido", "deadline passed reminder"}},
	{Kind: NotifyOverdueDigest, Label: Label{"resumo de prazos vencidos", "overdue digest"}},
	{Kind: NotifyIntakeFailed, Label: Label{"aviso de mensagem não processada", "message not processed notice"}},
	{Kind: NotifySignInLink, Label: Label{"link de acesso à página de trâmites", "staff site sign-in link"}},
	{Kind: NotifyIntakeAlert, Label: Label{"alerta de recebimento ou envio de e-mails", "mail intake or delivery alert"}},
	// The conclusion: result, public answer and the satisfaction survey
	// link (Lei 13.460/2017, art. 23). Data: events, status, result,
	// dispatch, survey_token.
	{Kind: NotifyConclusion, Label: Label{"aviso de conclusão", "conclusion notice"},
		ToRequester: true, RecordsFailures: true, AccessKey: KeyRequesters},
	{Kind: NotifyWebConfirm, Label: Label{"confirmação de envio pelo site", "confirmation of a web submission"},
		ToRequester: true, AutoReplied: true},
	// To the staff member whose reply through their staff reply address
	// also went outside (issue 17). Data: outside, outside_count,
	// token_expires.
	{Kind: NotifyOutsideRecipients, Label: Label{"aviso de resposta enviada para fora", "reply sent outside warning"}},
}

// NotificationKinds returns the table of notification kinds, in DESIGN.md
// order.
func NotificationKinds() []KindInfo { return append([]KindInfo(nil), notificationKinds...) }

// AllNotificationKinds returns every notification kind, in DESIGN.md order.
func AllNotificationKinds() []NotificationKind {
	out := make([]NotificationKind, len(notificationKinds))
	for i, r := range notificationKinds {
		out[i] = r.Kind
	}
	return out
}

// Info returns k's row of the table. An unknown kind gets a row with every
// flag false (staff mail, no files, auto-generated) and its code as label.
func (k NotificationKind) Info() KindInfo {
	for _, r := range notificationKinds {
		if r.Kind == k {
			return r
		}
	}
	return KindInfo{Kind: k, Label: Label{string(k), string(k)}}
}

// Known reports whether k is a row of the table.
func (k NotificationKind) Known() bool {
	for _, r := range notificationKinds {
		if r.Kind == k {
			return true
		}
	}
	return false
}

// repliesOpenNothing lists the kinds whose protocol-less mail a reply may
// not turn into a protocol (KindInfo.NewMessageOnReply false).
var repliesOpenNothing = func() []string {
	var out []string
	for _, r := range notificationKinds {
		if !r.NewMessageOnReply {
			out = append(out, string(r.Kind))
		}
	}
	return out
}()

// Label returns k's label (its code when unknown).
func (k NotificationKind) Label() Label { return k.Info().Label }
