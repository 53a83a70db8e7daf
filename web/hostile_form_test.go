package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tramita/tramita/web"
)

// TestFormTextPostgreSQLRefuses: a form field with a NUL character or bytes
// that are not UTF-8 (a script, a hostile client) is stored repaired, as
// mail is (core.DBText), never a 500 from PostgreSQL ("invalid byte
// sequence for encoding UTF8: 0x00", jsonb's "unsupported Unicode escape
// sequence"): the submission, its confirmation and a later message go
// through.
func TestFormTextPostgreSQLRefuses(t *testing.T) {
	e := newIntakeEnv(t, web.Options{})
	form := validForm(e.formToken(t, "/novo"))
	form.Set("assunto", "Vazamento\x00 na calçada \xff")
	form.Set("descricao", "Há água\x00 saindo da calçada em frente ao número 120 desde ontem \xc3.")
	form.Set("nome", "Joana\x00 Cidadã")
	form.Set("outro_nome", "Condomínio\x00 Flores")
	res := e.post(t, "/novo", form, nil, "")
	if res.Status != http.StatusOK {
		t.Fatalf("POST /novo with NUL and invalid UTF-8: %d\n%.1500s", res.Status, res.Body)
	}
	e.deliver(t)
	link := e.confirmLink(t, "joana@example.org", 1)
	if res := postForm(t, e.h, link, url.Values{}); res.Status != http.StatusOK {
		t.Fatalf("confirm: %d\n%.1500s", res.Status, res.Body)
	}
	var number, key string
	if err := e.svc.Pool().QueryRow(t.Context(), `SELECT number, access_key FROM protocols`).Scan(&number, &key); err != nil {
		t.Fatal(err)
	}
	var subject string
	if err := e.svc.Pool().QueryRow(t.Context(), `SELECT subject FROM protocols`).Scan(&subject); err != nil || strings.ContainsRune(subject, 0) {
		t.Errorf("subject %q %v", subject, err)
	}
	digits := strings.NewReplacer(".", "", "/", "", "-", "").Replace(number)
	msg := url.Values{"form": {e.formToken(t, "/p/"+digits+"/mensagem?k="+url.QueryEscape(key))}, "k": {key},
		"texto": {"Complemento\x00 com NUL \xfe e mais texto."}}
	if res := e.post(t, "/p/"+digits+"/mensagem", msg, nil, ""); res.Status >= 500 {
		t.Errorf("message with NUL: %d\n%.1500s", res.Status, res.Body)
	}
}
