package mailin

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-message/textproto"
)

// maxFilenameRunes bounds a file name taken from a message.
const maxFilenameRunes = 200

// partFilename returns the file name a part declares: the
// Content-Disposition filename (RFC 2183, RFC 2231) when present, else the
// Content-Type name parameter; both already decoded.
func partFilename(ct, disp mediaHeader) string {
	if n := sanitizeFilename(disp.params["filename"]); n != "" {
		return n
	}
	return sanitizeFilename(ct.params["name"])
}

// sanitizeFilename keeps the last path element of a decoded name (senders
// write "C:\TEMP\x.png"), drops control characters and trims white space;
// "" when nothing usable is left.
func sanitizeFilename(name string) string {
	if name == "" {
		return ""
	}
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, name)
	name = strings.Join(strings.Fields(name), " ")
	name = strings.Trim(name, " .")
	if utf8.RuneCountInString(name) > maxFilenameRunes {
		r := []rune(name)
		ext := ""
		if i := strings.LastIndexByte(name, '.'); i >= 0 && len(name)-i <= 10 {
			ext = name[i:]
		}
		name = string(r[:maxFilenameRunes-utf8.RuneCountInString(ext)]) + ext
	}
	return name
}

// addAttachment appends one attachment built from a part's headers and its
// decoded bytes. The name comes from Content-Disposition, Content-Type, a
// uuencode "begin" line, or is generated ("anexo-N.ext", "convite.ics",
// "winmail.dat").
func (p *parser) addAttachment(h *textproto.Header, ct, disp mediaHeader, data []byte, uuName string) {
	if len(p.msg.Attachments) >= p.maxParts {
		p.problemf("more than %d attachments; the rest is kept only in the raw message", p.maxParts)
		return
	}
	a := Attachment{
		Filename:    partFilename(ct, disp),
		ContentType: ct.value,
		ContentID:   contentID(h.Get("Content-Id")),
		Inline:      disp.value == "inline",
		Data:        data,
	}
	if a.ContentType == "" || !strings.Contains(a.ContentType, "/") {
		a.ContentType = "application/octet-stream"
	}
	if a.Filename == "" {
		a.Filename = sanitizeFilename(uuName)
	}
	if a.Filename == "" {
		a.Filename = generatedName(a.ContentType, len(p.msg.Attachments)+1)
	}
	p.msg.Attachments = append(p.msg.Attachments, a)
}

// contentID strips the angle brackets and white space of a Content-ID
// (RFC 2392).
func contentID(v string) string {
	v = strings.TrimSpace(stripComments(unfold(v)))
	v = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">"))
	return headerBytesToUTF8(v)
}

// generatedName names a part that carries no name: n is the 1-based
// position among the message's attachments.
func generatedName(contentType string, n int) string {
	switch contentType {
	case "text/calendar", "application/ics", "text/x-vcalendar":
		return "convite.ics"
	case "application/ms-tnef", "application/vnd.ms-tnef":
		return "winmail.dat"
	case "message/rfc822", "message/global":
		return "mensagem-encaminhada.eml"
	}
	return fmt.Sprintf("anexo-%d%s", n, extensionFor(contentType))
}

// knownExtensions maps common media types to a file extension; kept here
// rather than in mime.ExtensionsByType so names do not depend on the host's
// mime.types.
var knownExtensions = map[string]string{
	"application/pdf":               ".pdf",
	"application/zip":               ".zip",
	"application/x-zip-compressed":  ".zip",
	"application/gzip":              ".gz",
	"application/json":              ".json",
	"application/xml":               ".xml",
	"application/msword":            ".doc",
	"application/vnd.ms-excel":      ".xls",
	"application/vnd.ms-powerpoint": ".ppt",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   ".docx",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         ".xlsx",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
	"application/vnd.oasis.opendocument.text":                                   ".odt",
	"application/vnd.oasis.opendocument.spreadsheet":                            ".ods",
	"application/pkcs7-signature":                                               ".p7s",
	"application/x-pkcs7-signature":                                             ".p7s",
	"application/pgp-signature":                                                 ".asc",
	"application/mac-binhex40":                                                  ".hqx",
	"image/png":                                                                 ".png",
	"image/jpeg":                                                                ".jpg",
	"image/jpg":                                                                 ".jpg",
	"image/pjpeg":                                                               ".jpg",
	"image/gif":                                                                 ".gif",
	"image/bmp":                                                                 ".bmp",
	"image/webp":                                                                ".webp",
	"image/tiff":                                                                ".tif",
	"image/svg+xml":                                                             ".svg",
	"image/heic":                                                                ".heic",
	"audio/mpeg":                                                                ".mp3",
	"audio/ogg":                                                                 ".ogg",
	"video/mp4":                                                                 ".mp4",
	"text/plain":                                                                ".txt",
	"text/html":                                                                 ".html",
	"text/csv":                                                                  ".csv",
	"text/xml":                                                                  ".xml",
	"text/vcard":                                                                ".vcf",
	"text/x-vcard":                                                              ".vcf",
	"text/rfc822-headers":                                                       ".txt",
	"message/delivery-status":                                                   ".txt",
	"message/global-delivery-status":                                            ".txt",
	"message/disposition-notification":                                          ".txt",
	"message/feedback-report":                                                   ".txt",
	"message/global-headers":                                                    ".txt",
}

// extensionFor returns the extension for a media type, ".bin" when unknown.
func extensionFor(contentType string) string {
	if e, ok := knownExtensions[contentType]; ok {
		return e
	}
	if strings.HasPrefix(contentType, "text/") {
		return ".txt"
	}
	return ".bin"
}
