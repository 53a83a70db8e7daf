package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/web"
)

// TestComprovanteTellsWhetherTheAckWasMailed: the comprovante says the
// number and key were mailed only when the acknowledgement to the
// requester went out; when the per-sender acknowledgement limit held it
// back (recorded as held, shown so by `tramita show`), it says so and
// asks the requester to keep the page.
func TestComprovanteTellsWhetherTheAckWasMailed(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, web.Options{})
	ctx := context.Background()
	confirm := func() string {
		t.Helper()
		tok := e.formToken(t, "/novo")
		if res := e.post(t, "/novo", validForm(tok), nil, ""); res.Status != http.StatusOK {
			t.Fatalf("POST /novo: %d\n%s", res.Status, res.Body)
		}
		e.deliver(t)
		n := 0
		for _, raw := range e.smtp.to("joana@example.org") {
			if linkRe.Match([]byte(mailText(t, raw))) {
				n++
			}
		}
		res := postForm(t, e.h, e.confirmLink(t, "joana@example.org", n), url.Values{})
		if res.Status != http.StatusOK || !strings.Contains(res.Body, "Comprovante de recebimento") {
			t.Fatalf("confirm: %d\n%s", res.Status, res.Body)
		}
		return res.Body
	}
	const mailed = "Enviamos o número e a chave de acesso também ao seu e-mail"
	if body := confirm(); !strings.Contains(body, mailed) {
		t.Errorf("the acknowledgement went out but the comprovante does not say it:\n%s", body)
	}
	// More openings by mail from the same address fill the hour's limit.
	for i := range core.DefaultAckLimit {
		raw := fmt.Sprintf("From: joana@example.org\r\nSubject: Pedido %d\r\nMessage-ID: <flood%d@example.org>\r\n\r\nPedido.\r\n", i, i)
		if res, err := e.svc.Ingest(ctx, core.Inbound{Raw: []byte(raw), MessageID: fmt.Sprintf("flood%d@example.org", i), Subject: "Pedido",
			From: core.Address{Email: "joana@example.org"}, Text: "Pedido.", FullText: "Pedido.", Class: core.ClassNormal}); err != nil || res.Outcome != core.OutcomeCreated {
			t.Fatalf("opening by mail: %+v %v", res, err)
		}
	}
	body := confirm()
	if strings.Contains(body, mailed) || !strings.Contains(body, "não foi enviado") {
		t.Errorf("the acknowledgement was held but the comprovante says otherwise:\n%s", body)
	}
	m := numberRe.FindStringSubmatch(body)
	n, _ := core.ParseNumber(m[1])
	v, err := e.svc.Show(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	for _, nv := range v.Notifications {
		if nv.Kind == core.NotifyAck && nv.To[0] == "joana@example.org" && (nv.Status != core.DeliveryHeld || nv.Reason == "") {
			t.Errorf("show: %+v, want the requester's acknowledgement held with its reason", nv)
		}
	}
}
