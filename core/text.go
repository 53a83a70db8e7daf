package core

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DBText returns s as PostgreSQL text (and jsonb) accepts it: invalid UTF-8
// sequences replaced by U+FFFD and NUL characters removed (PostgreSQL
// refuses both with SQLSTATE 22021, jsonb refuses "\u0000" with 22P05). Every
// text that comes from outside (mail, forms) passes through it before it
// reaches a text column; the raw bytes are kept in bytea unchanged.
func DBText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return s
}

// dbTexts returns a copy of ss with DBText applied to every element.
func dbTexts(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = DBText(s)
	}
	return out
}

func (a Address) dbText() Address {
	return Address{Name: DBText(a.Name), Email: DBText(a.Email)}
}

func dbAddresses(as []Address) []Address {
	if as == nil {
		return nil
	}
	out := make([]Address, len(as))
	for i, a := range as {
		out[i] = a.dbText()
	}
	return out
}

// dbText makes every text field of in fit a text column (DBText); Raw is
// left as received. Core calls it when a message enters Ingest or
// Quarantine, the boundary where message text goes to the database. The
// slices are copied: the caller's Inbound is not changed.
func (in *Inbound) dbText() {
	in.Source.Mailbox = DBText(in.Source.Mailbox)
	in.Source.Kind = DBText(in.Source.Kind)
	in.MessageID = DBText(in.MessageID)
	in.References = dbTexts(in.References)
	in.Subject = DBText(in.Subject)
	in.From = in.From.dbText()
	in.ReplyTo, in.Cc = dbAddresses(in.ReplyTo), dbAddresses(in.Cc)
	in.Recipients = dbTexts(in.Recipients)
	in.Text, in.FullText, in.HTML = DBText(in.Text), DBText(in.FullText), DBText(in.HTML)
	in.CommandText = DBText(in.CommandText)
	in.Attachments = append([]InboundAttachment(nil), in.Attachments...)
	for i := range in.Attachments {
		a := &in.Attachments[i]
		a.Filename, a.ContentType, a.ContentID = SafeFilename(a.Filename), DBText(a.ContentType), DBText(a.ContentID)
	}
	in.ClassReason = DBText(in.ClassReason)
	in.Bounce = append([]BounceRecipient(nil), in.Bounce...)
	for i := range in.Bounce {
		b := &in.Bounce[i]
		b.Email, b.Action, b.Status, b.Diagnostic = DBText(b.Email), DBText(b.Action), DBText(b.Status), DBText(b.Diagnostic)
	}
	in.Match.Rule = DBText(in.Match.Rule)
	in.AuthReason = DBText(in.AuthReason)
	in.Problems = dbTexts(in.Problems)
}

// maxFilenameBytes is the longest file name SafeFilename returns, the limit
// of common file systems (ext4, NTFS in UTF-16 units is larger).
const maxFilenameBytes = 255

// SafeFilename returns name fit to store, show and offer as a download: text
// PostgreSQL accepts (DBText); any directory part removed (after the last
// "/" or "\"); control characters and Unicode format characters (category
// Cf: the bidirectional overrides and isolates such as U+202E, which turn
// "fatura\u202Efdp.exe" into what reads as "faturaexe.pdf", zero-width
// characters, the byte-order mark, the soft hyphen) removed; spaces and
// dots trimmed from both ends (Windows drops trailing ones, and a leading
// dot hides a file); at most 255 bytes, the extension kept. An empty result
// is "arquivo". Every door's file names pass through it in core (Ingest,
// the web form's kept files) and the pages apply it again to what older
// versions stored.
func SafeFilename(name string) string {
	name = DBText(name)
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r):
			return -1
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.Trim(name, " .")
	if len(name) > maxFilenameBytes {
		ext := path.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		stem := name[:len(name)-len(ext)]
		cut := maxFilenameBytes - len(ext)
		for cut > 0 && !utf8.RuneStart(stem[cut]) {
			cut--
		}
		name = strings.TrimRight(stem[:cut], " .") + ext
	}
	if name == "" {
		return "arquivo"
	}
	return name
}
