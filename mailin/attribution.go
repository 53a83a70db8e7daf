package mailin

import (
	"regexp"
	"slices"
	"strings"
)

// The words of this file say how mail clients write the lines that
// introduce a quoted message, in the languages public bodies receive mail
// in (pt, en, es, fr, de, it, nl, pl, cs, da, no, sv, fi, ru, uk, vi, zh,
// ja, ko, tr, hu, ro, el). They are facts about clients' output (Gmail,
// Outlook desktop/web/mobile, Apple Mail, Thunderbird, Yahoo, Zoho, Mail.ru,
// Yandex, Android and iOS mail apps); every pattern is compiled once, at
// package initialization.

// wroteVerbs are the verbs of an attribution line, lower-case.
var wroteVerbs = []string{
	"wrote", "writes", "has written", "escreveu", "escribió", "escribio", "escrito", "a écrit", "a ecrit",
	"schrieb", "geschrieben", "schreef", "het volgende geschreven", "ha scritto", "scritto", "scrisse",
	"skrev", "skrivit", "napisał", "napisała", "napisal", "napsal", "napsala", "napísal", "kirjoitti",
	"написал", "написала", "написав", "написала", "пише", "писал", "писала", "đã viết", "viết",
	"yazdı", "şunu yazdı", "írta", "пишет", "pisze", "pisał", "pisała", "escribe", "schreibt", "skriver", "kirjoittaa", "a scris", "scrie", "έγραψε", "wrote on",
}

// cjkWroteVerbs end an attribution without a space before them.
var cjkWroteVerbs = []string{"写道", "寫道", "のメッセージ", "のメール", "からのメッセージ", "작성", "님이 작성"}

// attributionPrefixes start a dated attribution ("On …", "Em …", "W dniu …").
var attributionPrefixes = []string{
	"on", "em", "no dia", "el", "el día", "le", "am", "il", "il giorno", "op", "den", "på", "w dniu", "dnia",
	"dne", "dňa", "vào", "vào lúc", "at", "in message", "in einer e-mail vom", "în", "la", "στις", "в", "у",
}

// originalPhrases are the "Original message" separators, lower-case.
var originalPhrases = []string{
	"original message", "mensagem original", "mensaje original", "message d'origine", "message d’origine",
	"message original", "ursprüngliche nachricht", "originalnachricht", "messaggio originale",
	"oorspronkelijk bericht", "origineel bericht", "oprindelig meddelelse", "oprindelig besked",
	"opprinnelig melding", "opprinnelig e-post", "ursprungligt meddelande", "originalmeddelande",
	"alkuperäinen viesti", "wiadomość oryginalna", "oryginalna wiadomość", "původní zpráva",
	"pôvodná správa", "исходное сообщение", "оригинальное сообщение", "исходное письмо",
	"вихідне повідомлення", "оригінальне повідомлення", "початкове повідомлення", "thư gốc",
	"tin nhắn gốc", "原始邮件", "原始郵件", "原始信件", "原邮件", "元のメッセージ", "オリジナル メッセージ",
	"원본 메시지", "orijinal mesaj", "özgün ileti", "özgün mesaj", "eredeti üzenet", "mesajul original",
	"mesaj original", "reply message", "antwort nachricht", "αρχικό μήνυμα",
}

// forwardStems are the words of a forward separator, lower-case.
var forwardStems = []string{
	"forwarded", "forward message", "fwd message", "encaminhad", "reenviad", "transféré", "transfere",
	"réexpédié", "weitergeleitet", "inoltrat", "doorgestuurd", "przekazan", "przesłan", "пересылаем",
	"переадресован", "пересланн", "переслан", "пересилан", "переслане", "videresendt", "vidarebefordrat",
	"välitetty", "přeposlan", "preposlan", "转发", "轉寄", "轉發", "転送", "iletilen", "ileti̇len",
	"chuyển tiếp", "továbbított", "redirecționat", "προωθημένο",
}

// labelKinds maps each quoted-header label, lower-case, to its kind:
// "from", "date", "to" (To, Cc, Reply-To) or "subject".
var labelKinds = func() map[string]string {
	m := map[string]string{}
	add := func(kind string, labels ...string) {
		for _, l := range labels {
			m[l] = kind
		}
	}
	add("from", "from", "de", "von", "van", "da", "fra", "från", "od", "от", "від", "lähettäjä", "feladó",
		"kimden", "gönderen", "từ", "发件人", "發件人", "寄件者", "寄件人", "差出人", "expéditeur", "expediteur",
		"remitente", "mittente", "afzender", "보낸 사람", "보낸사람", "de la", "από", "sender")
	add("date", "sent", "date", "data", "datum", "dato", "fecha", "enviado", "enviada", "enviado em",
		"enviada em", "enviado el", "enviadas", "gesendet", "envoyé", "envoye", "envoyé le", "inviato",
		"verzonden", "verstuurd", "sendt", "skickat", "wysłano", "wysłane", "data wysłania", "отправлено",
		"дата", "надіслано", "відправлено", "lähetetty", "päivämäärä", "elküldve", "dátum", "tarih",
		"gönderildi", "gönderilme tarihi", "đã gửi", "ngày", "ngày gửi", "发送时间", "發送時間", "日期",
		"寄件日期", "时间", "時間", "送信日時", "日付", "보낸 날짜", "날짜", "odesláno", "odoslané", "trimis",
		"ημερομηνία", "στάλθηκε", "sent at")
	add("to", "to", "para", "an", "à", "a", "aan", "til", "till", "do", "кому", "komu", "vastaanottaja",
		"címzett", "kime", "đến", "tới", "收件人", "收件者", "宛先", "destinataire", "destinatario",
		"destinatari", "받는 사람", "받는사람", "cc", "bcc", "cco", "cci", "kopie", "kopia", "копия", "копія",
		"dw", "抄送", "副本", "kopio", "másolat", "bilgi", "reply-to", "responder a", "antwort an",
		"répondre à", "beantwoorden - aan", "către", "προς", "κοιν")
	add("subject", "subject", "assunto", "asunto", "objet", "betreff", "oggetto", "onderwerp", "emne",
		"ämne", "temat", "тема", "předmět", "predmet", "aihe", "tárgy", "konu", "tiêu đề", "chủ đề", "主题",
		"主旨", "主題", "件名", "제목", "sujet", "subiect", "θέμα")
	return m
}()

// alternation returns a regexp alternation of words, longest first, each
// quoted, with spaces matching any run of white space.
func alternation(words []string) string {
	ws := slices.Clone(words)
	slices.SortFunc(ws, func(a, b string) int { return len(b) - len(a) })
	for i, w := range ws {
		ws[i] = strings.ReplaceAll(regexp.QuoteMeta(w), " ", `\s+`)
	}
	return strings.Join(ws, "|")
}

func labelWords(oneLetter bool) []string {
	var ws []string
	for l := range labelKinds {
		if oneLetter || len([]rune(l)) > 2 {
			ws = append(ws, l)
		}
	}
	return ws
}

var (
	// verbEndRe is an attribution ending in its verb, colon optional
	// ("… wrote:", "… a écrit :", "… napisał(a):", "… 写道：").
	verbEndRe = regexp.MustCompile(`(?i)(?:(?:^|[\s,.;)"'>\]»])(?:` + alternation(wroteVerbs) + `)(?:\s*\(a\))?|` +
		alternation(cjkWroteVerbs) + `)\s*[:：]?$`)
	// verbMidRe is a verb followed by the writer's name ("… schrieb Bob
	// <bob@…>:", "… skrev Bob:").
	verbMidRe = regexp.MustCompile(`(?i)(?:^|[\s,])(?:schrieb|skrev|schreef|wrote|escreveu|escribió|a\s+écrit|napisał|kirjoitti|написал|ha\s+scritto|yazdı|írta)\s+\S`)
	// verbOnRe is a writer's line with the date after the verb ("Bob wrote
	// on Mon, …:", "Max schrieb am Fr., …:", "Asiakaspalvelu kirjoitti
	// 20.05.2019 kello 10:26:").
	verbOnRe = regexp.MustCompile(`(?i)(?:wrote|schrieb|escreveu|escribió|a\s+écrit|kirjoitti|skrev|napisał|написал)\s+(?:(?:on|am|em|el|le|den|dnia)\s+\S|\d)`)
	// prefixRe starts a dated attribution.
	// (One ^ in front of the alternation: Go's regexp then tries only
	// the start of the string; "^a|^b" is tried at every position.)
	prefixRe = regexp.MustCompile(`(?i)^(?:(?:` + alternation(attributionPrefixes) + `)\s|在\s*\d)`)
	// dateStartRe is a line starting with a date, a time or a weekday
	// ("2019/8/21", "14:07, …", "Thu, 26 Jun", "вт, 5 янв.", "søn. 30. apr.").
	dateStartRe = regexp.MustCompile(`^(?:\d|\p{L}{1,12}\.?,?\s+\d|\p{L}{1,12}\.?,\s)`)
	// dateRe is a year, a time or a numeric date.
	dateRe = regexp.MustCompile(`(?:^|\D)(?:19|20)\d\d(?:\D|$)|\d{1,2}[:h.]\d\d|\d{1,4}[./-]\d{1,2}[./-]\d{1,4}`)
	// abbrevEndRe is a line ending in a number or an abbreviation with a
	// period ("So., 23.", "4 okt."), not in a sentence.
	abbrevEndRe = regexp.MustCompile(`(?:\d|(?:^|[\s,(])\p{L}{1,4})\.$`)
	// addrRe is an e-mail address.
	addrRe = regexp.MustCompile(`[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)*\.\p{L}{2,}`)
	// addrEndRe is a line ending with an address ("… Bob <bob@x.org>:",
	// "… (bob@x.org)", "… <mailto:bob@x.org>:", "… from bob@x.org:").
	addrEndRe = regexp.MustCompile(`@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)*\.\p{L}{2,}\s*[>\])"'»]*\s*[:：]?$`)
	// originalRe is the text of an "Original message" separator.
	originalRe = regexp.MustCompile(`(?i)^(?:` + alternation(originalPhrases) + `)\s*[:.]?$`)
	// labelRe is a quoted-header label at the start of a line ("From:",
	// "*De:*", "De :", "发件人：").
	labelRe = regexp.MustCompile(`(?i)^[\s*_]*(` + alternation(labelWords(true)) + `)[\s*_]*[:：]`)
	// inlineLabelRe is a label inside a flattened header line; one- and
	// two-letter labels are left out, they are too common in text.
	inlineLabelRe = regexp.MustCompile(`(?i)\s\*?(` + alternation(labelWords(false)) + `)\*?\s*[:：]\s`)
	// sharedStartRe is where an attribution may start inside a line that
	// also carries the reply.
	sharedStartRe = regexp.MustCompile(`\s(?:On|Em|El|Le|Am|Il|Op|Den|På|W dniu|Dnia|Dne|Vào)\s|\s在\s*\d`)
	// markdownLinkRe and trailingLinkRe remove the link a signature may
	// carry ("[Outlook for iOS](https://aka.ms/o0ukef)", "… <https://…>").
	markdownLinkRe = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	trailingLinkRe = regexp.MustCompile(`(?:\s*<?(?:https?://|www\.)[^\s>]*>?)+\s*$`)
)

// isAttribution reports whether s, one to three lines joined with spaces,
// is a quote attribution. single says s is one physical line; quoted says
// quoted lines follow it.
func isAttribution(s string, single, quoted bool) bool {
	inner, framed := stripFrame(s)
	if len(inner) < 6 || len(inner) > 400 {
		return false
	}
	endsColon := strings.HasSuffix(inner, ":") || strings.HasSuffix(inner, "：")
	hasDigit := strings.ContainsAny(inner, "0123456789")
	at := strings.LastIndexByte(inner, '@')
	if !hasDigit && at < 0 && !(endsColon && quoted) {
		return false // every rule below needs a date, an address or a quote
	}
	hasAddr := at >= 0 && addrRe.MatchString(inner)
	prefix := hasAttributionPrefix(inner)
	dateStart := hasDigit && dateStartRe.MatchString(inner)
	verbEnd := verbEndRe.MatchString(tail(inner, 48))
	// Without a quote below, a date is a year, a time or a numeric date,
	// so "On 2 occasions I wrote:" above the sender's own text stays text.
	dated := hasDigit && (quoted || hasAddr || dateRe.MatchString(inner))
	switch {
	case verbEnd && dated && (prefix || dateStart || hasAddr) && (endsColon || framed || quoted):
		return true // "On 1 Jun 2020, Bob <bob@…> wrote:", "Le … a écrit :"
	case verbEnd && dated && hasAddr && (prefix || dateStart):
		return true // "On Wed, 14 Nov 2018 08:14:43 -0200 Bob <bob@…> wrote" (colon lost)
	case verbEnd && hasAddr && (endsColon || quoted):
		return true // "Bob <bob@…> wrote:"
	case endsColon && dated && verbOnRe.MatchString(inner):
		return true // "Bob wrote on Mon, 1 Jun 2020:"
	case endsColon && dated && (prefix || dateStart || hasAddr) && verbMidRe.MatchString(inner):
		return true // "Am 1.6.2020 um 10:00 schrieb Bob <bob@…>:"
	case (dateStart || prefix) && at >= 0 && addrEndRe.MatchString(inner[at:]) && (endsColon || quoted):
		return true // "2023-05-02 14:07 GMT-03:00 Bob <bob@…>:", "2019/8/21 Bob <bob@…>"
	case verbEnd && endsColon && len(inner) <= 200 && quoted && (single || hasDigit):
		return true // "Fulano escreveu:" right above the quote
	}
	return false
}

// tail returns the end of s, about n bytes long, starting at a space so
// that a word is never cut (verbEndRe needs the space before the verb).
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	if i := strings.IndexByte(s[len(s)-n:], ' '); i >= 0 {
		return s[len(s)-n+i:]
	}
	return s
}

// signatureCues are words one of which every phone or app signature of
// phoneSignatureRe contains, lower-case: a cheap test before the
// expression.
var signatureCues = []string{
	"sent", "enviad", "outlook", "envoy", "gesendet", "inviato", "verzonden", "verstuurd", "wysłan", "sendt",
	"skicka", "lähetetty", "отправлено", "надіслано", "odesl", "odoslan", "gửi", "gönderildi", "trimis",
	"küldve", "从", "從", "发自", "發自", "来自", "來自", "获取", "獲取", "下载", "下載", "送信", "入手", "보냄",
}

// phoneSignatureRe is a line that is exactly a phone or app signature. A
// device or app name is at most six words without sentence punctuation.
var phoneSignatureRe = func() *regexp.Regexp {
	d := `[\p{L}\p{N}][\p{L}\p{N}'’&+®™\-/. ]{0,35}` // device or app name
	forms := []string{
		// en
		`sent\s+(?:wirelessly\s+)?(?:from|via|with|using|by|on)\s+` + d,
		`(?:get|download)\s+outlook\s+for\s+` + d,
		`sent\s+from\s+my\s+verizon,\s+samsung\s+galaxy\s+smartphone`,
		`sent\s+from\s+outlook\s+for\s+` + d,
		// pt
		`enviad[oa]\s+(?:do|da|de|pelo|pela|via|com|a\s+partir\s+d[oe])\s+` + d,
		`(?:obter|obtenha|baixe|baixar|baixa)\s+o\s+outlook\s+para\s+` + d,
		// es
		`enviado\s+(?:desde|con|de|a\s+través\s+de|mediante)\s+` + d,
		`(?:obtener|obtén|obten|descargar|descarga|descargue)\s+outlook\s+para\s+` + d,
		// fr
		`envoyé\s+(?:de|depuis|à\s+partir\s+de|avec|par|du)\s+` + d,
		`(?:télécharger|telecharger|téléchargez|obtenir|obtenez)\s+outlook\s+pour\s+` + d,
		// de
		`gesendet\s+(?:von|mit|vom|über|aus)\s+` + d,
		`von\s+` + d + `\s+gesendet`,
		`(?:diese\s+nachricht|diese\s+e-mail)\s+wurde\s+(?:von|mit)\s+` + d + `(?:\s+mit\s+` + d + `)?\s+gesendet`,
		`outlook\s+für\s+` + d + `\s+(?:beziehen|herunterladen|holen)`,
		// it
		`inviato\s+(?:da|dal|dalla|con|tramite)\s+` + d,
		`(?:scarica|ottieni)\s+outlook\s+per\s+` + d,
		// nl
		`(?:verzonden|verstuurd)\s+(?:vanaf|van|met|vanuit|via)\s+` + d,
		`(?:download\s+)?outlook\s+voor\s+` + d + `(?:\s+(?:downloaden|ophalen))?`,
		// pl
		`wysłan[oeya]\s+(?:z|ze|przez)\s+` + d,
		`pobierz\s+(?:aplikację\s+)?outlook\s+dla\s+` + d,
		// da, no
		`sendt\s+(?:fra|från|via|med)\s+` + d,
		`(?:hent|få|skaff)\s+outlook\s+(?:til|for|på)\s+` + d,
		// sv
		`skickat?(?:s|des)?\s+(?:från|via|med)\s+` + d,
		`(?:hämta|skaffa)\s+outlook\s+för\s+` + d,
		// fi
		`lähetetty\s+` + d + `(?:sta|stä|lta|ltä|n\s+kautta)`,
		`hanki\s+outlook\s+` + d,
		// ru, uk
		`отправлено\s+(?:с|из|со|через)\s+` + d,
		`(?:получить|скачать|загрузить|скачайте)\s+outlook\s+для\s+` + d,
		`надіслано\s+(?:з|із|зі|через)\s+` + d,
		`(?:отримати|завантажити|отримайте)\s+outlook\s+для\s+` + d,
		// cs, sk
		`odesláno\s+(?:z|ze)\s+` + d,
		`odoslané\s+(?:z|zo)\s+` + d,
		`(?:získat|stáhnout|získejte)\s+outlook\s+pro\s+` + d,
		// vi
		`(?:được\s+)?gửi\s+từ\s+` + d,
		`tải\s+outlook\s+cho\s+` + d,
		// tr
		d + `(?:'|’)?(?:[uüıi]m)?(?:dan|den|tan|ten)\s+gönderildi`,
		d + `\s+için\s+outlook(?:'|’)?u\s+(?:edinin|indirin|alın)`,
		// hu, ro
		`(?:az\s+)?` + d + `\s+(?:készülékről|eszközről)\s+küldve`,
		`trimis\s+(?:de\s+pe|din|de\s+la)\s+` + d,
		// zh, ja, ko
		`(?:从|從|发自|發自|来自|來自)\s*(?:我的)?\s*` + d + `\s*(?:发送|傳送|發送|发出)?`,
		`(?:获取|獲取|下载|下載)\s*` + d,
		d + `\s*から送信`,
		d + `\s*を入手`,
		d + `\s*에서\s*보냄`,
	}
	return regexp.MustCompile(`(?i)^(?:` + strings.Join(forms, "|") + `)[.!]?$`)
}()
