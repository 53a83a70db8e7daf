package webkit

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/tramita/tramita/core"
)

// ErrBodyTooLarge is returned by ReadForm for a body over its limit.
var ErrBodyTooLarge = errors.New("request body too large")

// formMemory is how much of a multipart body ReadForm keeps in memory;
// files beyond it go to temporary files that RemoveForm deletes.
const formMemory = 8 << 20

// ReadForm parses r's urlencoded or multipart/form-data body, reading at
// most maxBytes of it (the rest is refused with ErrBodyTooLarge, and the
// connection closed). Call RemoveForm when done with a multipart form's
// files. Other errors are a malformed body (400).
func ReadForm(w http.ResponseWriter, r *http.Request, maxBytes int64) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	if ct == "multipart/form-data" {
		err = r.ParseMultipartForm(formMemory)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return fmt.Errorf("%w (limit %d bytes)", ErrBodyTooLarge, maxBytes)
		}
		return fmt.Errorf("reading form: %w", err)
	}
	return nil
}

// RemoveForm deletes the temporary files of a multipart form read by
// ReadForm (net/http does it too, when the handler returns).
func RemoveForm(r *http.Request) {
	if r.MultipartForm != nil {
		_ = r.MultipartForm.RemoveAll()
	}
}

// Field is one form value with surrounding white space trimmed, carriage
// returns normalized to "\n", and made text PostgreSQL accepts
// (core.DBText: NUL removed, invalid UTF-8 repaired; either made the
// database refuse the whole submission with a 500).
func Field(r *http.Request, name string) string {
	v := strings.TrimSpace(core.DBText(r.PostFormValue(name)))
	return strings.ReplaceAll(strings.ReplaceAll(v, "\r\n", "\n"), "\r", "\n")
}

// Upload is one file of a multipart form, read into memory.
type Upload struct {
	Filename    string // base name as the browser gave it, path parts removed
	ContentType string // sniffed from the bytes (SniffType), never the browser's
	Data        []byte
}

// FileTooLargeError says which uploaded file was over the per-file limit.
type FileTooLargeError struct {
	Filename string
	Limit    int64 // bytes
}

func (e *FileTooLargeError) Error() string {
	return fmt.Sprintf("file %q is larger than %d bytes", e.Filename, e.Limit)
}

// Uploads reads the non-empty files posted under field, each at most
// maxFileBytes (a larger one is a *FileTooLargeError naming it). Browsers
// post an empty part when no file is chosen: it is skipped.
func Uploads(r *http.Request, field string, maxFileBytes int64) ([]Upload, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	var out []Upload
	for _, fh := range r.MultipartForm.File[field] {
		name := cleanFilename(fh.Filename)
		if name == "" && fh.Size == 0 {
			continue
		}
		if fh.Size > maxFileBytes {
			return nil, &FileTooLargeError{Filename: name, Limit: maxFileBytes}
		}
		data, err := readPart(fh, maxFileBytes)
		if err != nil {
			return nil, err
		}
		if len(data) == 0 && name == "" {
			continue
		}
		out = append(out, Upload{Filename: name, ContentType: SniffType(data, name), Data: data})
	}
	return out, nil
}

func readPart(fh *multipart.FileHeader, limit int64) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("opening upload: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading upload: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, &FileTooLargeError{Filename: cleanFilename(fh.Filename), Limit: limit}
	}
	return data, nil
}

// cleanFilename keeps the base name of a browser-given file name (old
// browsers send C:\path\file.pdf) as core.SafeFilename makes it (no
// control or Unicode format characters such as U+202E); "" when the
// browser gave no name.
func cleanFilename(name string) string {
	if strings.TrimSpace(name) == "" {
		return ""
	}
	return core.SafeFilename(name)
}

// officeTypes maps the extensions of ZIP-based office formats to their
// media types: the sniffer sees only "application/zip".
var officeTypes = map[string]string{
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".odt":  "application/vnd.oasis.opendocument.text",
	".ods":  "application/vnd.oasis.opendocument.spreadsheet",
}

// SniffType is the media type of data by its first bytes (the WHATWG MIME
// sniffing algorithm, net/http.DetectContentType), without parameters. The
// file name only refines what the bytes already say: a ZIP named .docx,
// .xlsx, .odt… is that office format; plain text named .csv is text/csv.
func SniffType(data []byte, filename string) string {
	t, _, _ := mime.ParseMediaType(http.DetectContentType(data))
	ext := strings.ToLower(filepath.Ext(filename))
	switch {
	case t == "application/zip" && officeTypes[ext] != "":
		return officeTypes[ext]
	case t == "text/plain" && ext == ".csv":
		return "text/csv"
	}
	return t
}

// FieldError is one form field in error.
type FieldError struct {
	Field   string // the field's name (and its input's id)
	Message string // pt-BR, shown next to the field
}

// FieldErrors collects the errors of a form, in the order found, one per
// field (the first wins). Templates use .Get "name" next to each field and
// .List for the summary at the top (links to #name).
type FieldErrors struct {
	list []FieldError
}

// Add records msg for field unless field already has an error.
func (e *FieldErrors) Add(field, msg string) {
	if e.Has(field) {
		return
	}
	e.list = append(e.list, FieldError{Field: field, Message: msg})
}

// Get is field's message, or "".
func (e *FieldErrors) Get(field string) string {
	if e == nil {
		return ""
	}
	for _, f := range e.list {
		if f.Field == field {
			return f.Message
		}
	}
	return ""
}

// Has reports whether field has an error.
func (e *FieldErrors) Has(field string) bool { return e.Get(field) != "" }

// Len is the number of fields in error.
func (e *FieldErrors) Len() int {
	if e == nil {
		return 0
	}
	return len(e.list)
}

// List returns the errors in the order they were added.
func (e *FieldErrors) List() []FieldError {
	if e == nil {
		return nil
	}
	return e.list
}

// Fields returns the names of the fields in error, in order (for logs).
func (e *FieldErrors) Fields() []string {
	var out []string
	for _, f := range e.List() {
		out = append(out, f.Field)
	}
	return out
}
