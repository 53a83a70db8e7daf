package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tramita/tramita/core"
)

// TestShowTextSpeaksPortuguese: the text output of `tramita show` names
// every status, step kind, visibility, role, notification kind and outbox
// status with core's pt-BR label, never the English code (it printed
// "suspended" and "unit_notice" under Portuguese headings).
func TestShowTextSpeaksPortuguese(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var codes []string
	for _, st := range core.Statuses() {
		codes = append(codes, string(st.Status))
	}
	v := core.ProtocolView{Number: "23037.000001/2026-45", OpenedAt: at, UpdatedAt: at,
		Participants: []core.ParticipantView{{Role: "requester"}, {Role: "other_requester"}, {Role: "cc"}}}
	codes = append(codes, "requester", "other_requester", "cc")
	for i, k := range core.StepKinds() {
		vis := core.Public
		if i%2 == 1 {
			vis = core.Private
		}
		v.Steps = append(v.Steps, core.StepView{N: i + 1, Kind: k, At: at, Visibility: vis})
		codes = append(codes, string(k))
	}
	codes = append(codes, string(core.Public), string(core.Private))
	deliveries := []string{core.DeliveryQueued, core.DeliverySent, core.DeliveryFailed, core.DeliveryHeld}
	for i, k := range core.NotificationKinds() {
		v.Notifications = append(v.Notifications, core.NotificationView{Kind: k.Kind, Status: deliveries[i%len(deliveries)]})
		codes = append(codes, string(k.Kind))
	}
	codes = append(codes, deliveries...)
	for _, st := range core.Statuses() {
		v.Status = st.Status
		var out bytes.Buffer
		printProtocol(&out, v, time.UTC)
		if !strings.Contains(out.String(), "["+st.Label.PtBR+"]") {
			t.Errorf("status %s: no [%s] in\n%s", st.Status, st.Label.PtBR, out.String())
		}
		for _, code := range codes {
			if regexp.MustCompile(`(^|[\s\[])` + regexp.QuoteMeta(code) + `($|[\s\]])`).MatchString(out.String()) {
				t.Errorf("status %s: the code %q is printed:\n%s", st.Status, code, out.String())
			}
		}
	}
}

// TestShowSaysWhyANotificationIsHeld: a held notification (the
// acknowledgement limit kept the ack back) is printed with its reason, so
// `tramita show` tells the truth about what the requester received.
func TestShowSaysWhyANotificationIsHeld(t *testing.T) {
	v := core.ProtocolView{Number: "23037.000001/2026-45", Status: core.StatusOpen, OpenedAt: time.Now(),
		Notifications: []core.NotificationView{{Kind: core.NotifyAck, To: []string{"joana@example.org"}, Status: core.DeliveryHeld,
			Reason: "limite de confirmações: joana@example.org já recebeu 5 na última hora"}}}
	var out bytes.Buffer
	printProtocol(&out, v, time.UTC)
	if !strings.Contains(out.String(), "Retida") || !strings.Contains(out.String(), "limite de confirmações") {
		t.Errorf("held acknowledgement without its reason:\n%s", out.String())
	}
}
