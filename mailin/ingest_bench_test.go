package mailin

import (
	"fmt"
	"strings"
	"testing"

	"github.com/tramita/tramita/core"
)

// benchRequest is bench/ingest's message: a citizen's new 2 KB request.
func benchRequest(i int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Cidadã %[1]d <cidada.%[1]d@example.org>\r\nTo: protocolo@saneamento.example.gov.br\r\n"+
		"Subject: Vazamento na rua %[1]d\r\nMessage-ID: <bench.%[1]d@example.org>\r\n"+
		"Date: Sat, 28 Nov 2026 09:00:00 -0300\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
		"Bom dia. Há um vazamento de água na calçada em frente ao número %[1]d.\r\n", i)
	for b.Len() < 2048 {
		b.WriteString("A água corre há dois dias e já formou uma poça grande; peço providências.\r\n")
	}
	return []byte(b.String())
}

// BenchmarkReadRequest is the Go work intake does on bench/ingest's 2 KB
// request before core: parse, classify, sender check, reply extraction.
func BenchmarkReadRequest(b *testing.B) {
	org := core.Organization{Address: "protocolo@saneamento.example.gov.br", TagWord: "Protocolo"}
	raw := benchRequest(1)
	b.ReportAllocs()
	for b.Loop() {
		m := ParseWith(raw, 20)
		Classify(m, org)
		VerifySender(m, nil)
		r := readReply(m)
		if r.text == "" || r.commandText == "" {
			b.Fatal("no text")
		}
	}
}
