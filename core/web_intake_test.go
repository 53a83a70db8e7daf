package core_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
)

// TestTypeWebSettings: the form keys of a type are stored, applying the
// same file again changes nothing, a type with web: false is off the
// form, and bad values are refused.
func TestTypeWebSettings(t *testing.T) {
	t.Parallel()
	svc := newService(t, time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	ctx := context.Background()
	spec := sampleOrg(t)
	off := false
	spec.Types[0].Document, spec.Types[0].AccountLabel, spec.Types[0].MaxFiles, spec.Types[0].MaxFileBytes = "required", "Nº da ligação", 2, 2000
	spec.Types[1].Web = &off
	ch, err := svc.ApplyOrg(ctx, spec)
	if err != nil || ch.Updated != 2 {
		t.Fatalf("apply: %+v %v", ch, err)
	}
	if ch, err := svc.ApplyOrg(ctx, spec); err != nil || ch.Total() != 0 {
		t.Errorf("second apply changed %+v (%v)", ch, err)
	}
	types, err := svc.WebTypes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(types) != len(spec.Types)-1 || types[0].Code != spec.Types[0].Code || !types[0].DocumentRequired ||
		types[0].AccountLabel != "Nº da ligação" || types[0].MaxFiles != 2 || types[0].MaxFileBytes != 2000 || types[0].UnitName == "" {
		t.Errorf("web types = %+v", types)
	}
	for _, ty := range types {
		if ty.Code == spec.Types[1].Code {
			t.Errorf("%s has web: false but is offered", ty.Code)
		}
		if ty.Code != types[0].Code && (ty.DocumentRequired || ty.MaxFiles != core.DefaultMaxFiles || ty.MaxFileBytes != core.DefaultMaxFileBytes) {
			t.Errorf("%s does not have the defaults: %+v", ty.Code, ty)
		}
	}
	for name, edit := range map[string]func(*core.OrgType){
		"document":       func(ty *core.OrgType) { ty.Document = "sometimes" },
		"max_files":      func(ty *core.OrgType) { ty.MaxFiles = 51 },
		"max_file_bytes": func(ty *core.OrgType) { ty.MaxFileBytes = -1 },
	} {
		bad := sampleOrg(t)
		edit(&bad.Types[0])
		if err := bad.Validate(); !errors.Is(err, core.ErrInvalidOrg) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestConfirmWebConcurrently: several confirmations of one link at once
// open one protocol and all answer with its number.
func TestConfirmWebConcurrently(t *testing.T) {
	t.Parallel()
	svc := newService(t, time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	ctx := context.Background()
	sub := core.WebSubmission{FormID: "f1", Subject: "Vazamento", Description: "Água na rua", PublicPath: "/novo/confirmar/",
		Opening: core.WebOpening{TypeCode: "VAZAMENTO", Requester: core.Person{Name: "Joana", Email: "joana@example.org"}},
		Raw:     []byte("From: joana@example.org\r\nSubject: Vazamento\r\n\r\nÁgua na rua\r\n")}
	if _, err := svc.SubmitWeb(ctx, sub); err != nil {
		t.Fatal(err)
	}
	var path string
	if err := svc.Pool().QueryRow(ctx, `SELECT data->>'confirm_path' FROM notifications WHERE kind = 'web_confirm'`).Scan(&path); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimPrefix(path, "/novo/confirmar/")
	var wg sync.WaitGroup
	numbers := make([]string, 6)
	errs := make([]error, 6)
	for i := range numbers {
		wg.Go(func() {
			rec, err := svc.ConfirmWeb(ctx, token)
			numbers[i], errs[i] = rec.Number, err
		})
	}
	wg.Wait()
	for i := range numbers {
		if errs[i] != nil || numbers[i] != numbers[0] || numbers[i] == "" {
			t.Errorf("confirmation %d: %q %v (first %q)", i, numbers[i], errs[i], numbers[0])
		}
	}
	var n int
	if err := svc.Pool().QueryRow(ctx, `SELECT count(*) FROM protocols`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d protocols (%v)", n, err)
	}
	if _, err := svc.ConfirmWeb(ctx, token+"x"); !errors.Is(err, core.ErrWebLinkInvalid) {
		t.Errorf("altered token: %v", err)
	}
}
