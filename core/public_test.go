package core_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
)

// publicFixture opens one protocol with a file, adds a public dispatch with
// a file, a private note with a file and an auto-reply, and gives the
// requester a CPF.
type publicFixture struct {
	svc        *core.Service
	number     core.Number
	key        string
	publicFile int64
	openFile   int64
	privFile   int64
}

func newPublicFixture(t *testing.T) publicFixture {
	t.Helper()
	ctx := context.Background()
	svc := newService(t, time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC))
	in := newMail(1, "maria@example.org")
	in.Subject = "Vazamento na rua"
	in.Text, in.FullText = "Texto do pedido", "Texto do pedido"
	in.Attachments = []core.InboundAttachment{{Filename: "foto.jpg", ContentType: "image/jpeg", Data: []byte("jpeg")}}
	res, err := svc.Ingest(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	n, err := core.ParseNumber(res.Protocol)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := svc.ProtocolByNumber(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	f := publicFixture{svc: svc, number: n}
	pool := svc.Pool()
	if err := pool.QueryRow(ctx, `SELECT access_key FROM protocols WHERE id = $1`, ref.ID).Scan(&f.key); err != nil {
		t.Fatal(err)
	}
	addStep := func(n int, kind, vis, text, file string) int64 {
		t.Helper()
		var stepID, fileID int64
		err := pool.QueryRow(ctx, `INSERT INTO steps (protocol_id, n, kind, at, author_email, author_name, from_unit_id, to_unit_id, visibility, text)
			SELECT $1, $2, $3, now(), 'ana.souza@saneamento.example.gov.br', 'Ana Souza', unit_id, unit_id, $4, $5
			FROM protocols WHERE id = $1 RETURNING id`, ref.ID, n, kind, vis, text).Scan(&stepID)
		if err != nil {
			t.Fatal(err)
		}
		if file == "" {
			return 0
		}
		if _, err := pool.Exec(ctx, `INSERT INTO blobs (sha256, size, content) VALUES (sha256($1::bytea), length($1::bytea), $1::bytea)
			ON CONFLICT DO NOTHING`, []byte(file)); err != nil {
			t.Fatal(err)
		}
		err = pool.QueryRow(ctx, `INSERT INTO attachments (protocol_id, step_id, sha256, filename, content_type, size)
			VALUES ($1, $2, sha256($3::bytea), $4, 'application/pdf', length($3::bytea)) RETURNING id`,
			ref.ID, stepID, []byte(file), file+".pdf").Scan(&fileID)
		if err != nil {
			t.Fatal(err)
		}
		return fileID
	}
	f.publicFile = addStep(2, "dispatch", "public", "Equipe enviada ao local.", "ordem-de-servico")
	f.privFile = addStep(3, "note", "private", "SEGREDO interno", "parecer-juridico")
	addStep(4, "auto_reply", "private", "Estou de férias", "")
	if err := pool.QueryRow(ctx, `SELECT a.id FROM attachments a JOIN steps s ON s.id = a.step_id WHERE s.protocol_id = $1 AND s.n = 1`,
		ref.ID).Scan(&f.openFile); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE participants SET document = '52998224725', phone = '82999990000' WHERE protocol_id = $1 AND role = 'requester'`,
		ref.ID); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestPublicLookupLevels(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	ctx := context.Background()
	basic, err := f.svc.PublicLookup(ctx, f.number, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if basic.Level != core.PublicBasic || basic.Subject != "" || basic.Documents != nil {
		t.Errorf("basic view shows restricted data: %+v", basic)
	}
	if basic.Status != core.StatusOpen || basic.TypeName != "Outros" || basic.UnitName != "Protocolo Geral" || basic.OrgName == "" {
		t.Errorf("basic view header = %+v", basic)
	}
	if len(basic.Steps) != 3 {
		t.Fatalf("want 3 steps (auto-reply hidden), got %+v", basic.Steps)
	}
	for i, st := range basic.Steps {
		if st.Text != "" || st.Files != nil {
			t.Errorf("basic step %d has text or files: %+v", i, st)
		}
	}
	if st := basic.Steps[2]; !st.Internal || st.Kind != "" || st.ToUnit != "Protocolo Geral" {
		t.Errorf("private step = %+v, want internal with units only", st)
	}
	if basic.Steps[0].Kind != core.StepOpened || basic.Steps[1].Kind != core.StepDispatch {
		t.Errorf("public step kinds = %s, %s", basic.Steps[0].Kind, basic.Steps[1].Kind)
	}

	for name, args := range map[string][2]string{
		"wrong key":        {"ABCDEFGHJK", ""},
		"key with a typo":  {f.key[:9] + string("ZY"[strings.Count(f.key[9:], "Z")]), ""},
		"wrong CPF":        {"", "111.444.777-35"},
		"invalid CPF":      {"", "123.456.789-00"},
		"garbage document": {"", "<script>"},
	} {
		got, err := f.svc.PublicLookup(ctx, f.number, args[0], args[1])
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, basic) {
			t.Errorf("%s: view differs from the number-alone view:\n%+v\n%+v", name, got, basic)
		}
	}

	for name, args := range map[string][2]string{
		"key":                {f.key, ""},
		"key lower case":     {" " + strings.ToLower(f.key) + " ", ""},
		"CPF punctuated":     {"", "529.982.247-25"},
		"CPF digits":         {"", "52998224725"},
		"wrong key, got CPF": {"XXXXXXXXXX", "529.982.247-25"},
	} {
		full, err := f.svc.PublicLookup(ctx, f.number, args[0], args[1])
		if err != nil {
			t.Fatal(err)
		}
		if full.Level != core.PublicFull || full.Subject != "Vazamento na rua" {
			t.Errorf("%s: level %s subject %q", name, full.Level, full.Subject)
		}
		if args[1] == "" && full.Documents != nil {
			t.Errorf("%s: documents = %v, want none when opened with the key", name, full.Documents)
		}
		if args[1] != "" && (len(full.Documents) != 1 || full.Documents[0] != "***.982.247-**") {
			t.Errorf("%s: documents = %v, want the masked CPF", name, full.Documents)
		}
		if full.Steps[0].Text != "Texto do pedido" || len(full.Steps[0].Files) != 1 || full.Steps[0].Files[0].Filename != "foto.jpg" {
			t.Errorf("%s: opening step = %+v", name, full.Steps[0])
		}
		if full.Steps[1].Text != "Equipe enviada ao local." || len(full.Steps[1].Files) != 1 {
			t.Errorf("%s: dispatch step = %+v", name, full.Steps[1])
		}
		if st := full.Steps[2]; !st.Internal || st.Text != "" || st.Files != nil || st.Kind != "" {
			t.Errorf("%s: private step leaks: %+v", name, st)
		}
	}
}

func TestPublicLookupNotFound(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	other := core.Number{Unit: "23037", Seq: 999, Year: 2026}
	if _, err := f.svc.PublicLookup(context.Background(), other, f.key, ""); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("unknown number: err = %v, want ErrNotFound", err)
	}
	if _, err := f.svc.PublicLookup(context.Background(), core.Number{}, "", ""); !errors.Is(err, core.ErrInvalidNumber) {
		t.Errorf("zero number: err = %v, want ErrInvalidNumber", err)
	}
}

func TestPublicLookupOtherRequesterDocument(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	ctx := context.Background()
	// An other requester known by name and alphanumeric CNPJ only.
	if _, err := f.svc.Pool().Exec(ctx, `INSERT INTO participants (protocol_id, role, name, document)
		SELECT id, 'other_requester', 'Empresa X', '12ABC34501DE35' FROM protocols WHERE number = $1`, f.number.String()); err != nil {
		t.Fatal(err)
	}
	v, err := f.svc.PublicLookup(ctx, f.number, "", "12.abc.345/01de-35")
	if err != nil {
		t.Fatal(err)
	}
	if v.Level != core.PublicFull {
		t.Fatalf("level = %s, want full", v.Level)
	}
	if want := []string{"***.982.247-**", "12.ABC.***/****-35"}; !reflect.DeepEqual(v.Documents, want) {
		t.Errorf("documents = %v, want %v", v.Documents, want)
	}
}

func TestPublicAttachment(t *testing.T) {
	t.Parallel()
	f := newPublicFixture(t)
	ctx := context.Background()
	c, err := f.svc.PublicAttachment(ctx, f.number, f.publicFile, f.key)
	if err != nil {
		t.Fatal(err)
	}
	if string(c.Content) != "ordem-de-servico" || c.Filename != "ordem-de-servico.pdf" || c.ContentType != "application/pdf" {
		t.Errorf("public file = %+v", c)
	}
	if c, err := f.svc.PublicAttachment(ctx, f.number, f.openFile, strings.ToLower(f.key)); err != nil || string(c.Content) != "jpeg" {
		t.Errorf("opening file: %v %q", err, c.Content)
	}
	other := core.Number{Unit: "23037", Seq: 999, Year: 2026}
	for name, tc := range map[string]struct {
		n   core.Number
		id  int64
		key string
	}{
		"no key":          {f.number, f.publicFile, ""},
		"wrong key":       {f.number, f.publicFile, "ABCDEFGHJK"},
		"private step":    {f.number, f.privFile, f.key},
		"unknown file":    {f.number, f.privFile + 100, f.key},
		"other protocol":  {other, f.publicFile, f.key},
		"private, no key": {f.number, f.privFile, ""},
	} {
		if _, err := f.svc.PublicAttachment(ctx, tc.n, tc.id, tc.key); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", name, err)
		}
	}
}

func TestPing(t *testing.T) {
	t.Parallel()
	svc := newService(t, time.Now())
	if err := svc.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	svc.Pool().Close()
	if err := svc.Ping(context.Background()); err == nil {
		t.Error("Ping on a closed pool succeeded")
	}
}
