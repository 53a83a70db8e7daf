package webkit

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/tramita/tramita/core"
)

// Download writes content as a file the browser saves and never renders:
// Content-Disposition attachment with the name made safe
// (ContentDisposition), the given Content-Type, a sandboxed CSP, nosniff,
// no caching (the file may be personal) and its length. Both sites send
// every file through it.
func Download(w http.ResponseWriter, filename, contentType string, content []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", ContentDisposition(filename))
	h.Set("Content-Security-Policy", ContentSecurityPolicy+"; sandbox")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Content-Length", strconv.Itoa(len(content)))
	_, _ = w.Write(content)
}

// ContentDisposition is "attachment" with the file name twice (RFC 6266):
// filename= an ASCII fallback, filename*= the UTF-8 name percent-encoded
// (RFC 8187). The name is core.SafeFilename's (no control or Unicode
// format characters, which can disguise an extension), path separators
// made "_" first so no part of the name is lost; quotes and percent signs
// never pass unencoded.
func ContentDisposition(name string) string {
	name = core.SafeFilename(strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' {
			return '_'
		}
		return r
	}, name))
	var ascii, enc strings.Builder
	for _, r := range name {
		if r >= 0x20 && r < 0x7f && r != '"' && r != '\\' && r != '%' {
			ascii.WriteRune(r)
		} else {
			ascii.WriteByte('_')
		}
	}
	for _, b := range []byte(name) {
		if isAttrChar(b) {
			enc.WriteByte(b)
		} else {
			enc.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(b)|0x100, 16)[1:]))
		}
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + enc.String()
}

// isAttrChar reports whether b may appear unencoded in an RFC 8187 value.
func isAttrChar(b byte) bool {
	switch {
	case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}
