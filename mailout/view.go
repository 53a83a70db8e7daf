package mailout

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/tramita/tramita/core"
)

// View is what a mail template sees. Every string holds plain text: for the
// HTML part the renderer passes a copy with each one escaped for Markdown
// (EscapeMarkdown), except the fields marked "not escaped", so a subject,
// name or dispatch written by a citizen or staff member cannot inject a
// link or HTML. Dates are already formatted in the organization's time
// zone and the View's language. Empty means unknown or not applicable.
type View struct {
	Lang string // pt-BR or en (not escaped)
	// OnProtocol: the mail is about a protocol and its Reply-To is that
	// protocol's signed address, so a reply is read on the protocol. Only
	// then does the body start with ReplyMarker and do footers invite a
	// reply (a reply to a sign-in link, confirmation link, alert or digest
	// is recorded and opens nothing).
	OnProtocol bool

	OrgName         string
	Number          string // protocol number
	Subject         string // protocol subject, or the subject of the message a notice is about
	AccessKey       string // only on the ack (and on a command result for a protocol opened on someone's behalf)
	LookupURL       string // public lookup page; carries ?k=KEY only where AccessKey is set (not escaped)
	TypeName        string
	TypeDescription string
	UnitName        string // unit holding the protocol
	Status          string // core.Status code (not escaped; templates name it with statusLabel)
	OpenedAt        string
	Deadline        string
	NewDeadline     string // status_update: the deadline a forward set, "" when it set none
	// LegalDeadline is the date by which the body must answer the
	// requester by law ("Prazo de resposta"); "" for none or while it is
	// interrupted awaiting the requester.
	LegalDeadline string
	LegalBasis    string // the law behind LegalDeadline, e.g. "Lei 13.460/2017, art. 16"
	Extended      bool   // the legal deadline was extended once (#prorrogar)
	Result        string // conclusion: the result (#concluir RESULTADO)
	Request       string // info_requested: what the requester is asked for; may span lines
	SurveyURL     string // conclusion: the satisfaction survey link, /avaliar/TOKEN (not escaped)
	// DeadlineKind says which deadline a reminder is about: "legal" (owed
	// to the requester by law) or "handoff" (owed by the unit) (not escaped).
	DeadlineKind string

	RequesterName  string
	RequesterEmail string // staff notices only
	RecipientName  string // staff member the notice goes to
	RecipientUnit  string // unit the notice goes to
	// Unattended: the notice is to RecipientUnit, but reached an
	// administrator because that unit has no active member and no shared
	// mailbox.
	Unattended bool

	Event    string   // unit_notice: opened, forwarded (not escaped)
	Events   []string // status_update: what changed, in order (not escaped)
	Dispatch string   // the dispatch, answer or message text; may span lines
	Reason   string   // why it was suspended, or why commands were refused
	FailedID string   // raw message id of a quarantined message (intake_failed), for `tramita failed retry`

	StepAuthor  string   // who wrote the step: "Name (address)" (staff notices)
	FromUnit    string   // unit the step came from
	Attachments []string // files of the step: "name (size)"

	Failed      []string // delivery_failed: "address (status)"
	Undelivered string   // delivery_failed: kind of the mail not delivered (not escaped)
	Size        string   // too_large: size of the message, e.g. "31,2 MB"
	Limit       string   // too_large: the limit
	Lines       []Line   // command_result, command_rejected: the transcript
	Applied     bool     // command_result: the commands were applied
	Help        string   // command_result: the #ajuda table (not escaped: shown as a code block)
	OnBehalf    bool     // ack: opened by staff on someone's behalf
	ConfirmURL  string   // web_confirm: the confirmation link (not escaped)
	ExpiresAt   string   // web_confirm: when the link stops working
	From        string   // command_rejected: address the refused commands came from
	NoCommands  bool     // command_rejected: the message had no commands; it was kept as a private message
	Door        string   // intake_alert: imap, lmtp or smtp (not escaped)
	Since       string   // intake_alert: when the door started failing
	Failures    int      // intake_alert: failed attempts so far
	Refused     bool     // intake_alert: credentials or token refused
	Recovered   bool     // intake_alert: the door works again
	Protocols   []DigestItem
	SignInURL   string // signin_link: the one-time staff site sign-in link (not escaped)
	// Outside lists addresses a staff reply also went to that are neither
	// staff nor ours (outside_recipients); OutsideMore counts those not
	// listed; TokenExpires is when the reply address used stops acting in
	// the staff member's name ("" for one that does not expire).
	Outside      []string
	OutsideMore  int
	TokenExpires string
}

// Line is one command of a transcript and what became of it.
type Line struct {
	Text   string // the command line as written
	OK     bool
	Result string
}

// DigestItem is one protocol of an overdue digest.
type DigestItem struct {
	Number   string
	Subject  string
	Deadline string
	Unit     string
	Kind     string // legal (prazo legal de resposta) or handoff (prazo da unidade) (not escaped)
}

// escaped returns a copy of v with its text escaped for Markdown.
func (v View) escaped() View {
	e := EscapeMarkdown
	list := func(l []string) []string {
		out := make([]string, len(l))
		for i, s := range l {
			out[i] = e(s)
		}
		return out
	}
	for _, p := range []*string{&v.OrgName, &v.Number, &v.Subject, &v.AccessKey, &v.TypeName, &v.TypeDescription,
		&v.UnitName, &v.OpenedAt, &v.Deadline, &v.NewDeadline, &v.LegalDeadline, &v.LegalBasis, &v.Result, &v.Request, &v.RequesterName, &v.RequesterEmail, &v.RecipientName,
		&v.RecipientUnit, &v.Dispatch, &v.Reason, &v.StepAuthor, &v.FromUnit, &v.Size, &v.Limit, &v.From, &v.ExpiresAt, &v.TokenExpires} {
		*p = e(*p)
	}
	v.Attachments, v.Failed, v.Outside = list(v.Attachments), list(v.Failed), list(v.Outside)
	lines := make([]Line, len(v.Lines))
	for i, l := range v.Lines {
		lines[i] = Line{Text: e(l.Text), OK: l.OK, Result: e(l.Result)}
	}
	v.Lines = lines
	items := make([]DigestItem, len(v.Protocols))
	for i, p := range v.Protocols {
		items[i] = DigestItem{Number: e(p.Number), Subject: e(p.Subject), Deadline: e(p.Deadline), Unit: e(p.Unit), Kind: p.Kind}
	}
	v.Protocols = items
	return v
}

// WithAccessKey returns v with the protocol's access key and a lookup link
// that carries it: for the requester's and other requester's copies of
// status updates and replies (DESIGN.md: "the link in every requester
// e-mail carries the key"), never for Cc'd participants or staff.
func (v View) WithAccessKey(key string) View {
	if key == "" || v.LookupURL == "" || v.AccessKey != "" {
		return v
	}
	v.AccessKey = key
	v.LookupURL += "?k=" + url.QueryEscape(key)
	return v
}

// NewView builds the View of d for org, in lang, with lookup links under
// publicURL (TRAMITA_PUBLIC_URL, no trailing slash).
func NewView(d core.Delivery, org core.Organization, lang, publicURL string) View {
	loc := org.Location()
	data := d.Data
	v := View{Lang: lang, OrgName: org.Name, Applied: true, OnProtocol: OnProtocol(d)}
	kind := d.Kind.Info()
	staff := !kind.ToRequester
	if p := d.Protocol; p != nil {
		v.Number, v.Subject, v.TypeName, v.TypeDescription = p.Number, p.Subject, p.TypeName, p.TypeDescription
		v.UnitName, v.Status = p.UnitName, string(p.Status)
		v.OpenedAt = formatTime(p.OpenedAt, loc, lang)
		if p.Deadline != nil {
			v.Deadline = formatTime(*p.Deadline, loc, lang)
		}
		if p.LegalDeadline != nil {
			v.LegalDeadline = formatDate(*p.LegalDeadline, loc, lang)
		}
		v.LegalBasis, v.Extended, v.Result = p.LegalBasis, p.Extended, p.Result
		v.RequesterName = p.Requester.Name
		if staff {
			v.RequesterEmail = p.Requester.Email
		}
		if kind.AccessKey == core.KeyEveryCopy {
			v.AccessKey = p.AccessKey
		}
	}
	if v.Number == "" {
		v.Number = str(data["number"])
	}
	if v.Subject == "" {
		v.Subject = str(data["subject"])
	}
	if d.Kind == core.NotifyCommandResult && v.AccessKey == "" {
		v.AccessKey = str(data["access_key"])
	}
	if v.Number != "" {
		v.LookupURL = strings.TrimRight(publicURL, "/") + "/p/" + url.PathEscape(v.Number)
		if v.AccessKey != "" {
			v.LookupURL += "?k=" + url.QueryEscape(v.AccessKey)
		}
	}
	if d.StaffID != 0 {
		v.RecipientName = d.StaffName
	}
	if d.Unit != nil {
		v.RecipientUnit = d.Unit.Name
	}
	if s := str(data["unit_name"]); s != "" {
		v.UnitName = s
	}
	if s := str(data["status"]); s != "" {
		v.Status = s
	}
	if t, ok := timeOf(data["deadline"]); ok {
		v.Deadline = formatTime(t, loc, lang)
	}
	if t, ok := timeOf(data["new_deadline"]); ok {
		v.NewDeadline = formatTime(t, loc, lang)
	}
	v.DeadlineKind = str(data["deadline_kind"])
	if t, ok := timeOf(data["legal_deadline"]); ok {
		v.LegalDeadline = formatDate(t, loc, lang)
	}
	if s := str(data["result"]); s != "" {
		v.Result = s
	}
	v.Request = str(data["request"])
	if tok := str(data["survey_token"]); tok != "" {
		v.SurveyURL = strings.TrimRight(publicURL, "/") + "/avaliar/" + url.PathEscape(tok)
	}
	v.Event, v.Events = str(data["event"]), strs(data["events"])
	if len(v.Events) == 0 && v.Event != "" {
		v.Events = []string{v.Event}
	}
	if v.Event == "" && len(v.Events) == 1 {
		v.Event = v.Events[0]
	}
	v.Reason, v.From, v.Help = str(data["reason"]), str(data["from"]), str(data["help"])
	if n, ok := number(data["raw_message_id"]); ok {
		v.FailedID = fmt.Sprintf("%.0f", n)
	}
	v.Failed, v.Undelivered = strs(data["failed"]), str(data["undelivered"])
	if b, ok := data["applied"].(bool); ok {
		v.Applied = b
	}
	v.OnBehalf, _ = data["on_behalf"].(bool)
	v.Unattended, _ = data["unattended_unit"].(bool)
	v.NoCommands, _ = data["no_commands"].(bool)
	v.Door, v.Refused, v.Recovered = str(data["door"]), data["refused"] == true, data["recovered"] == true
	if t, ok := timeOf(data["since"]); ok {
		v.Since = formatTime(t, loc, lang)
	}
	if n, ok := number(data["failures"]); ok {
		v.Failures = int(n)
	}
	if p := str(data["confirm_path"]); p != "" {
		v.ConfirmURL = strings.TrimRight(publicURL, "/") + p
	}
	if t, ok := timeOf(data["expires_at"]); ok {
		v.ExpiresAt = formatTime(t, loc, lang)
	}
	if v.TypeName == "" {
		v.TypeName = str(data["type_name"])
	}
	if v.RequesterName == "" {
		v.RequesterName = str(data["requester_name"])
	}
	if n, ok := number(data["size"]); ok {
		v.Size = formatSize(n, lang)
	}
	if n, ok := number(data["limit"]); ok {
		v.Limit = formatSize(n, lang)
	}
	v.Lines = lines(data["lines"])
	v.SignInURL = str(data["link"])
	if t, ok := timeOf(data["expires"]); ok && d.Kind == core.NotifySignInLink {
		v.Deadline = formatTime(t, loc, lang)
	}
	v.Protocols = digest(data["protocols"], loc, lang)
	v.Outside = strs(data["outside"])
	if n, ok := number(data["outside_count"]); ok && int(n) > len(v.Outside) {
		v.OutsideMore = int(n) - len(v.Outside)
	}
	if t, ok := timeOf(data["token_expires"]); ok {
		v.TokenExpires = formatDate(t, loc, lang)
	}
	if st := d.Step; st != nil {
		v.FromUnit = st.FromUnit
		if staff {
			v.StepAuthor = st.AuthorName
			switch {
			case st.AuthorName != "" && st.AuthorEmail != "":
				v.StepAuthor = st.AuthorName + " (" + st.AuthorEmail + ")"
			case st.AuthorEmail != "":
				v.StepAuthor = st.AuthorEmail
			}
		}
		for _, a := range st.Attachments {
			if !a.Inline {
				v.Attachments = append(v.Attachments, a.Filename+" ("+formatSize(float64(a.Size), lang)+")")
			}
		}
	}
	v.Dispatch = str(data["dispatch"])
	if v.Dispatch == "" && d.Step != nil && kind.StepText && (staff || d.Step.Visibility == core.Public) {
		v.Dispatch = d.Step.Text
	}
	return v
}

func str(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case nil:
		return ""
	case float64, bool:
		return fmt.Sprint(s)
	}
	return ""
}

// number reads a JSON number (float64 once decoded) or a Go integer.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

func strs(v any) []string {
	if l, ok := v.([]string); ok {
		return l
	}
	l, _ := v.([]any)
	var out []string
	for _, x := range l {
		if s := str(x); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// lines reads a transcript: []{line, ok, result} (core.TranscriptLine) or []string.
func lines(v any) []Line {
	l, _ := v.([]any)
	var out []Line
	for _, x := range l {
		switch t := x.(type) {
		case string:
			out = append(out, Line{Text: t, OK: true})
		case map[string]any:
			ok, _ := t["ok"].(bool)
			out = append(out, Line{Text: str(t["line"]), OK: ok, Result: str(t["result"])})
		}
	}
	return out
}

func digest(v any, loc *time.Location, lang string) []DigestItem {
	l, _ := v.([]any)
	var out []DigestItem
	for _, x := range l {
		m, ok := x.(map[string]any)
		if !ok {
			continue
		}
		it := DigestItem{Number: str(m["number"]), Subject: str(m["subject"]), Unit: str(m["unit"]), Kind: str(m["kind"])}
		if t, ok := timeOf(m["deadline"]); ok {
			it.Deadline = formatTime(t, loc, lang)
		}
		out = append(out, it)
	}
	return out
}

func timeOf(v any) (time.Time, bool) {
	s, ok := v.(string)
	if !ok || s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

func formatTime(t time.Time, loc *time.Location, lang string) string {
	if lang == "en" {
		return t.In(loc).Format("2006-01-02 15:04")
	}
	return t.In(loc).Format("02/01/2006 15:04")
}

// formatDate writes the day of a legal deadline (they end at 23:59 local,
// so the day says it all).
func formatDate(t time.Time, loc *time.Location, lang string) string {
	if lang == "en" {
		return t.In(loc).Format("2006-01-02")
	}
	return t.In(loc).Format("02/01/2006")
}

// formatSize writes a size in bytes as people read it: KB below one
// megabyte, else MB with one decimal (1 MB = 1 MiB, as mail clients count).
func formatSize(n float64, lang string) string {
	var s string
	switch {
	case n < 1<<20:
		s = fmt.Sprintf("%.0f KB", (n+1023)/1024)
	case n >= 100<<20 || int64(n)%(1<<20) == 0:
		s = fmt.Sprintf("%.0f MB", n/(1<<20))
	default:
		s = fmt.Sprintf("%.1f MB", n/(1<<20))
	}
	if lang != "en" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// sampleView has every field set, so NewRenderer can run each template.
func sampleView(lang string) View {
	return View{Lang: lang, OnProtocol: true, OrgName: "Órgão", Number: "23037.000001/2026-45", Subject: "Assunto",
		AccessKey: "KEY", LookupURL: "http://127.0.0.1:8080/p/x", TypeName: "Tipo", TypeDescription: "Descrição",
		UnitName: "Unidade", Status: "open", OpenedAt: "01/01/2026 10:00", Deadline: "02/01/2026 10:00", NewDeadline: "03/01/2026 10:00",
		LegalDeadline: "31/01/2026", LegalBasis: "Lei", Extended: true, Result: "atendido", Request: "Envie o documento",
		SurveyURL: "http://127.0.0.1:8080/avaliar/x", DeadlineKind: "legal",
		RequesterName: "Nome", RequesterEmail: "a@b.example", RecipientName: "Servidor", RecipientUnit: "Unidade",
		Event: "forwarded", Events: []string{"forwarded", "suspended"}, Dispatch: "Texto\nlinha", Reason: "Motivo",
		StepAuthor: "Autor", FromUnit: "Origem", Attachments: []string{"a.pdf (1 KB)"}, Failed: []string{"a@b.example (550)"},
		Undelivered: "ack", Size: "2 MB", Limit: "1 MB", Lines: []Line{{Text: "#ajuda", OK: true, Result: "ok"}},
		Applied: true, Help: "#ajuda", OnBehalf: true, From: "a@b.example", Unattended: true,
		ConfirmURL: "http://127.0.0.1:8080/novo/confirmar/x", ExpiresAt: "02/01/2026 10:00",
		Protocols: []DigestItem{{Number: "23037.000001/2026-45", Subject: "Assunto", Deadline: "01/01/2026 10:00", Unit: "PROT", Kind: "legal"}},
		Outside:   []string{"c@d.example"}, OutsideMore: 1, TokenExpires: "01/03/2026"}
}
