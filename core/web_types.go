package core

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Defaults of a type's web form settings (DESIGN.md, "Web intake").
const (
	DefaultMaxFiles     = 5        // files per submission
	DefaultMaxFileBytes = 10 << 20 // bytes per file (10 MiB)
	maxMaxFiles         = 50
)

// TypeWebSpec are the keys of a type in the organization file that shape
// the public form (/novo). Zero values mean the defaults.
type TypeWebSpec struct {
	// Document is "required" when the form must carry the requester's
	// CPF/CNPJ; "optional" (default) otherwise.
	Document string `yaml:"document"`
	// AccountLabel names the matrícula field for this type, e.g.
	// "Nº da ligação"; empty: "Matrícula".
	AccountLabel string `yaml:"account_label"`
	// MaxFiles is how many files one submission may carry (default 5; 0
	// is the default, use web: false to keep a type off the form).
	MaxFiles int `yaml:"max_files"`
	// MaxFileBytes is the largest file accepted, in bytes (default 10 MiB).
	MaxFileBytes int64 `yaml:"max_file_bytes"`
	// Web false keeps the type off the form (default true).
	Web *bool `yaml:"web"`
}

// problems lists what is wrong with the settings, for Validate.
func (w TypeWebSpec) problems() []string {
	var out []string
	switch w.Document {
	case "", "required", "optional":
	default:
		out = append(out, fmt.Sprintf("document %q must be required or optional", w.Document))
	}
	if w.MaxFiles < 0 || w.MaxFiles > maxMaxFiles {
		out = append(out, fmt.Sprintf("max_files %d must be 1 to %d", w.MaxFiles, maxMaxFiles))
	}
	if w.MaxFileBytes < 0 {
		out = append(out, fmt.Sprintf("max_file_bytes %d must be positive", w.MaxFileBytes))
	}
	return out
}

// apply stores the settings of type code; updated is true when a value
// changed.
func (w TypeWebSpec) apply(ctx context.Context, tx pgx.Tx, code string) (updated bool, err error) {
	doc := w.Document
	if doc == "" {
		doc = "optional"
	}
	files := w.MaxFiles
	if files == 0 {
		files = DefaultMaxFiles
	}
	size := w.MaxFileBytes
	if size == 0 {
		size = DefaultMaxFileBytes
	}
	web := w.Web == nil || *w.Web
	t, err := tx.Exec(ctx, `UPDATE protocol_types SET document = $2, account_label = $3, max_files = $4, max_file_bytes = $5, web = $6
		WHERE code = $1 AND (document, account_label, max_files, max_file_bytes, web) IS DISTINCT FROM ($2, $3, $4, $5, $6)`,
		code, doc, strings.TrimSpace(w.AccountLabel), files, size, web)
	if err != nil {
		return false, fmt.Errorf("saving web settings: %w", err)
	}
	return t.RowsAffected() > 0, nil
}

// WebType is a protocol type as the public form offers it.
type WebType struct {
	Code             string
	Name             string
	Description      string
	UnitName         string // destination unit
	DocumentRequired bool   // the requester's CPF/CNPJ is required
	AccountLabel     string // label of the matrícula field; "" for the default
	MaxFiles         int
	MaxFileBytes     int64
}

// WebTypes returns the active types offered on the public form, in the
// organization file's order.
func (s *Service) WebTypes(ctx context.Context) ([]WebType, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT t.code, t.name, t.description, u.name, t.document = 'required', t.account_label, t.max_files, t.max_file_bytes
		FROM protocol_types t JOIN units u ON u.id = t.unit_id
		WHERE t.active AND t.web ORDER BY t.position, t.code`)
	if err != nil {
		return nil, fmt.Errorf("listing web types: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (WebType, error) {
		var t WebType
		err := r.Scan(&t.Code, &t.Name, &t.Description, &t.UnitName, &t.DocumentRequired, &t.AccountLabel, &t.MaxFiles, &t.MaxFileBytes)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("listing web types: %w", err)
	}
	return out, nil
}
