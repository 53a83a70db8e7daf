package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/tramita/tramita/web"
)

type apiBody struct {
	Number      string   `json:"number"`
	Level       string   `json:"level"`
	Status      string   `json:"status"`
	StatusLabel string   `json:"status_label"`
	Type        string   `json:"type"`
	Unit        string   `json:"unit"`
	OpenedAt    string   `json:"opened_at"`
	Subject     string   `json:"subject"`
	Documents   []string `json:"requester_documents"`
	Steps       []struct {
		Kind     string `json:"kind"`
		Internal bool   `json:"internal"`
		Text     string `json:"text"`
		Files    []struct {
			Filename string `json:"filename"`
			URL      string `json:"url"`
		} `json:"files"`
	} `json:"steps"`
}

func decodeAPI(t *testing.T, res response) apiBody {
	t.Helper()
	if res.Status != http.StatusOK {
		t.Fatalf("status %d: %s", res.Status, res.Body)
	}
	var b apiBody
	if err := json.Unmarshal([]byte(res.Body), &b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAPIProtocolShow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	h := newHandler(t, f.svc, web.Options{})
	api := "/api/protocolos/" + f.number.Digits()

	basic := get(t, h, api)
	b := decodeAPI(t, basic)
	if b.Level != "basic" || b.Status != "open" || b.StatusLabel != "Aberto" || b.Type != "Vazamento" || b.Unit != "Gerência de Operações" ||
		b.Subject != "" || b.Documents != nil || len(b.Steps) != 3 || !strings.HasSuffix(b.OpenedAt, "-03:00") {
		t.Errorf("basic = %+v", b)
	}
	for _, st := range b.Steps {
		if st.Text != "" || st.Files != nil {
			t.Errorf("basic step has text or files: %+v", st)
		}
	}
	if wrong := get(t, h, api+"?k=ABCDEFGHJK"); wrong.Body != basic.Body {
		t.Error("wrong key: JSON differs from the number alone")
	}
	if !b.Steps[2].Internal || b.Steps[2].Kind != "" {
		t.Errorf("private step = %+v", b.Steps[2])
	}

	full := decodeAPI(t, get(t, h, api+"?k="+f.key))
	if full.Level != "full" || full.Subject != "Vazamento na Rua das Flores" || full.Steps[1].Text != dispatchText {
		t.Errorf("full = %+v", full)
	}
	if len(full.Steps[1].Files) != 1 || !strings.Contains(full.Steps[1].Files[0].URL, "?k="+f.key) {
		t.Errorf("dispatch files = %+v", full.Steps[1].Files)
	}
	if strings.Contains(get(t, h, api+"?k="+f.key).Body, "SEGREDO") {
		t.Error("API shows a private text")
	}

	// A document only by POST: form or JSON; never from the URL.
	if b := decodeAPI(t, get(t, h, api+"?documento="+f.cpf)); b.Level != "basic" {
		t.Error("a CPF in the URL was read")
	}
	byForm := decodeAPI(t, postForm(t, h, api, url.Values{"documento": {"529.982.247-25"}}))
	r := httptest.NewRequest(http.MethodPost, api, strings.NewReader(`{"documento": "52998224725"}`))
	r.Header.Set("Content-Type", "application/json")
	byJSON := decodeAPI(t, do(t, h, r))
	for name, b := range map[string]apiBody{"form": byForm, "json": byJSON} {
		if b.Level != "full" || len(b.Steps[1].Files) != 1 || b.Steps[1].Files[0].URL != "" {
			t.Errorf("%s: %+v (files carry no link without the key)", name, b)
		}
	}

	for name, tc := range map[string]struct {
		res    response
		status int
		code   string
	}{
		"bad number":   {get(t, h, "/api/protocolos/123"), http.StatusBadRequest, "numero_invalido"},
		"bad document": {postForm(t, h, api, url.Values{"documento": {"123"}}), http.StatusBadRequest, "documento_invalido"},
		"unknown":      {get(t, h, "/api/protocolos/"+unknownNumber), http.StatusNotFound, "nao_encontrado"},
	} {
		if tc.status != 0 && (tc.res.Status != tc.status || !strings.Contains(tc.res.Body, `"`+tc.code+`"`)) {
			t.Errorf("%s: %d %s", name, tc.res.Status, tc.res.Body)
		}
		if !strings.HasPrefix(tc.res.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: Content-Type %q", name, tc.res.Header.Get("Content-Type"))
		}
	}
}
