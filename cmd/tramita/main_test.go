package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tramita/tramita/core"
	"github.com/tramita/tramita/examples"
	"github.com/tramita/tramita/internal/testdb"
)

// cli runs one command line in-process and returns exit code, stdout and stderr.
func cli(t *testing.T, stdin []byte, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, bytes.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func setupCLI(t *testing.T) {
	t.Helper()
	_, url := testdb.New(t)
	t.Setenv("DATABASE_URL", url)
	t.Setenv("TRAMITA_SECRET", "1:cli-test-secret-long-enough")
	t.Setenv("TRAMITA_LOG_LEVEL", "error")
	if code, _, stderr := cli(t, nil, "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s", code, stderr)
	}
	f := t.TempDir() + "/org.yaml"
	if err := os.WriteFile(f, examples.OrgYAML, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cli(t, nil, "org", "apply", f); code != 0 {
		t.Fatalf("org apply: %d %s", code, stderr)
	}
	code, out, stderr := cli(t, nil, "org", "apply", f, "--json")
	if code != 0 || strings.TrimSpace(out) != `{"created":0,"updated":0,"deactivated":0}` {
		t.Fatalf("second org apply: %d %q %s", code, out, stderr)
	}
}

func TestCLIIngestAndShow(t *testing.T) {
	setupCLI(t)
	mail1, _ := examples.MailFile("01-vazamento.eml")
	mail2, _ := examples.MailFile("02-vazamento-resposta.eml")

	code, out, stderr := cli(t, mail1, "ingest", "--json")
	if code != 0 {
		t.Fatalf("ingest: exit %d: %s", code, stderr)
	}
	var res core.IngestResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("ingest --json printed %q: %v", out, err)
	}
	if res.Outcome != "created" || res.Step != 1 {
		t.Fatalf("ingest: %+v", res)
	}
	if _, err := core.ParseNumber(res.Protocol); err != nil {
		t.Fatalf("number %q: %v", res.Protocol, err)
	}
	got := map[string]string{}
	for _, n := range res.Notifications {
		got[string(n.Kind)+" "+strings.Join(n.To, ",")] = "x"
	}
	for _, want := range []string{"ack joana.cidada@example.org", "unit_notice bruno.lima@saneamento.example.gov.br",
		"unit_notice operacoes@saneamento.example.gov.br"} {
		if got[want] == "" {
			t.Errorf("notification %q missing in %v", want, res.Notifications)
		}
	}

	code, out, _ = cli(t, mail2, "ingest", "--json")
	if code != 0 || !strings.Contains(out, `"outcome":"appended"`) || !strings.Contains(out, res.Protocol) {
		t.Fatalf("reply: exit %d %s", code, out)
	}
	code, out, _ = cli(t, mail2, "ingest", "--json")
	if code != 0 || !strings.Contains(out, `"outcome":"duplicate"`) {
		t.Fatalf("same reply again: exit %d %s", code, out)
	}

	// show accepts the number without punctuation.
	digits := strings.NewReplacer(".", "", "/", "", "-", "").Replace(res.Protocol)
	code, out, stderr = cli(t, nil, "show", digits, "--json")
	if code != 0 {
		t.Fatalf("show: exit %d %s", code, stderr)
	}
	var v core.ProtocolView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if v.Number != res.Protocol || v.Status != "open" || v.Type != "VAZAMENTO" || v.Unit != "GOPE" || v.AccessKey == "" ||
		v.Deadline == nil || v.Requester == nil || v.Requester.Email != "joana.cidada@example.org" {
		t.Errorf("show: %+v", v)
	}
	if len(v.Steps) != 2 || v.Steps[1].Kind != "message" || strings.Contains(v.Steps[1].Text, "escreveu") ||
		!strings.Contains(v.Steps[1].Text, "buraco na calçada") {
		t.Errorf("steps: %+v", v.Steps)
	}
	// Staff see the original: the whole decoded body, history included,
	// and whether the step text was cut from it.
	if len(v.Steps) == 2 && (!v.Steps[1].TextCut || !strings.Contains(v.Steps[1].OriginalText, "escreveu") ||
		!strings.Contains(v.Steps[1].OriginalText, "buraco na calçada")) {
		t.Errorf("reply step: text_cut %v, original_text %q", v.Steps[1].TextCut, v.Steps[1].OriginalText)
	}
	if !strings.Contains(out, `"original_text"`) || !strings.Contains(out, `"text_cut"`) {
		t.Errorf("show --json lacks original_text/text_cut:\n%s", out)
	}
	var raw map[string]any
	_ = json.Unmarshal([]byte(out), &raw)
	for _, key := range []string{"number", "access_key", "status", "type", "unit", "subject", "opened_at", "deadline",
		"requester", "other_requester", "participants", "steps", "notifications"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("show --json lacks %q", key)
		}
	}
	code, out, _ = cli(t, nil, "show", res.Protocol)
	if code != 0 || !strings.Contains(out, "Vazamento na calçada") || !strings.Contains(out, "Trâmites:") ||
		strings.Count(out, "texto recortado") != 1 {
		t.Errorf("show (text): exit %d\n%s", code, out)
	}
}

func TestCLIExitCodes(t *testing.T) {
	setupCLI(t)
	if code, _, _ := cli(t, nil, "show", "23037.000001/2026-00"); code != exitUsage {
		t.Errorf("wrong check digit: exit %d, want %d", code, exitUsage)
	}
	n := core.Number{Unit: "23037", Seq: 999, Year: 2026}
	if code, _, _ := cli(t, nil, "show", n.String()); code != exitNotFound {
		t.Errorf("unknown protocol: exit %d, want %d", code, exitNotFound)
	}
	if code, _, _ := cli(t, nil, "bogus"); code != exitUsage {
		t.Errorf("unknown command: exit %d", code)
	}

	// Too large: stored, answered once, outcome rejected.
	t.Setenv("TRAMITA_MAX_MESSAGE_BYTES", "200")
	mail1, _ := examples.MailFile("01-vazamento.eml")
	code, out, _ := cli(t, mail1, "ingest", "--json")
	if code != 0 || !strings.Contains(out, `"outcome":"rejected"`) || !strings.Contains(out, `"kind":"too_large"`) {
		t.Errorf("too large: exit %d %s", code, out)
	}
	os.Unsetenv("TRAMITA_MAX_MESSAGE_BYTES")

	// A message that can never be processed is quarantined (exit 0), listed and retried.
	bad := []byte("Subject: sem remetente\r\nMessage-ID: <nofrom@example.org>\r\n\r\nSem From.\r\n")
	code, out, _ = cli(t, bad, "ingest", "--json")
	if code != 0 || !strings.Contains(out, `"outcome":"failed"`) {
		t.Fatalf("unprocessable: exit %d %s", code, out)
	}
	// Text PostgreSQL refuses (a NUL in the Subject) never makes a
	// quarantine fail, so never EX_TEMPFAIL: the MTA would retry it for days.
	poison := []byte("Subject: =?utf-8?b?YQBi?= \x00\r\nMessage-ID: <poison@example.org>\r\n\r\nSem From.\r\n")
	code, out, stderr := cli(t, poison, "ingest", "--json")
	if code != 0 || !strings.Contains(out, `"outcome":"failed"`) {
		t.Fatalf("poison without From: exit %d %s %s", code, out, stderr)
	}
	code, out, _ = cli(t, nil, "failed", "list", "--json")
	var list []core.FailedMessage
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != 2 || strings.TrimSpace(list[1].Subject) != "ab" {
		t.Fatalf("failed list: exit %d %s", code, out)
	}
	code, out, _ = cli(t, nil, "failed", "retry", "1"+strings.Repeat("0", 6), "--json")
	if code != exitNotFound {
		t.Errorf("retry of an unknown id: exit %d %s", code, out)
	}

	// The database down is a temporary failure: EX_TEMPFAIL so the MTA retries.
	t.Setenv("DATABASE_URL", "postgres://tramita:tramita@127.0.0.1:1/tramita?sslmode=disable&connect_timeout=2")
	if code, _, stderr := cli(t, mail1, "ingest"); code != exitTempFail {
		t.Errorf("database down: exit %d, want %d (%s)", code, exitTempFail, stderr)
	}
}

// TestCLIFailedListEmpty: with nothing quarantined, `failed list` says so
// (and --json prints an empty array, not null).
func TestCLIFailedListEmpty(t *testing.T) {
	setupCLI(t)
	code, out, stderr := cli(t, nil, "failed", "list")
	if code != 0 || strings.TrimSpace(out) != "nenhuma mensagem em quarentena / no quarantined messages" {
		t.Errorf("failed list: exit %d %q %s", code, out, stderr)
	}
	code, out, stderr = cli(t, nil, "failed", "list", "--json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("failed list --json: exit %d %q %s", code, out, stderr)
	}
}

// TestCLICheckSecretHint: `tramita check` without TRAMITA_SECRET after a
// demo names the demo's secret file and the command line that passes it;
// with it, the secret is ok.
func TestCLICheckSecretHint(t *testing.T) {
	setupCLI(t)
	t.Setenv("TRAMITA_IMAP_URL", "")
	t.Setenv("TRAMITA_SMTP_URL", "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("TRAMITA_SECRET", "")
	code, out, _ := cli(t, nil, "check")
	if code == 0 || !strings.Contains(out, "FALHA / FAIL  TRAMITA_SECRET") || !strings.Contains(out, "TRAMITA_SECRET=1:") {
		t.Errorf("check without a secret, no demo: exit %d\n%s", code, out)
	}
	secret, err := demoSecret() // what the demo does on its first run
	if err != nil {
		t.Fatal(err)
	}
	code, out, _ = cli(t, nil, "check")
	hint := `TRAMITA_SECRET="$(cat ` + demoSecretPath() + `)" scripts/run check`
	if code == 0 || !strings.Contains(out, hint) {
		t.Errorf("check without a secret after the demo: exit %d, want the hint %s\n%s", code, hint, out)
	}
	t.Setenv("TRAMITA_SECRET", secret)
	code, out, _ = cli(t, nil, "check")
	if code != 0 || !strings.Contains(out, "ok            TRAMITA_SECRET") {
		t.Errorf("check with the demo's secret: exit %d\n%s", code, out)
	}
}

func TestCLIRemind(t *testing.T) {
	setupCLI(t)
	mail1, _ := examples.MailFile("01-vazamento.eml")
	if code, _, stderr := cli(t, mail1, "ingest"); code != 0 {
		t.Fatalf("ingest: %s", stderr)
	}
	at := time.Now().Add(72 * time.Hour).Format(time.RFC3339) // VAZAMENTO's 48h deadline has passed
	code, out, stderr := cli(t, nil, "remind", "--at", at, "--digest", "--json")
	if code != 0 {
		t.Fatalf("remind: %d %s", code, stderr)
	}
	var res core.RemindResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	got := map[core.NotificationKind]int{}
	for _, q := range res.Queued {
		got[q.Kind]++
	}
	if got[core.NotifyReminderDue] != 1 || got[core.NotifyOverdueDigest] != 1 {
		t.Fatalf("remind queued %+v", res.Queued)
	}
	code, out, _ = cli(t, nil, "remind", "--at", at, "--json")
	if code != 0 || !strings.Contains(out, `"queued":[]`) {
		t.Errorf("second pass: %d %s", code, out)
	}
	if code, _, _ := cli(t, nil, "remind", "--at", "tomorrow"); code != exitUsage {
		t.Errorf("bad --at: exit %d", code)
	}
}

// TestCLICommandsEndToEnd drives staff commands through `tramita ingest`
// and reads the result with `tramita show --json`: forward with a deadline
// and a public dispatch, the requester's view, conclude and reopen.
func TestCLICommandsEndToEnd(t *testing.T) {
	setupCLI(t)
	mail1, _ := examples.MailFile("01-vazamento.eml") // VAZAMENTO → GOPE (Bruno)
	code, out, stderr := cli(t, mail1, "ingest", "--json")
	if code != 0 {
		t.Fatalf("ingest: %s", stderr)
	}
	var res core.IngestResult
	_ = json.Unmarshal([]byte(out), &res)
	number := res.Protocol
	auth := "Authentication-Results: mx.saneamento.example.gov.br; dkim=pass header.d=saneamento.example.gov.br; dmarc=pass header.from=saneamento.example.gov.br\r\n"
	staff := func(id, body string) core.IngestResult {
		t.Helper()
		raw := auth + "From: Bruno Lima <bruno.lima@saneamento.example.gov.br>\r\nTo: protocolo@saneamento.example.gov.br\r\n" +
			"Subject: RES: [Protocolo " + number + "] Vazamento\r\nMessage-ID: <" + id + "@saneamento.example.gov.br>\r\n" +
			"Content-Type: text/plain; charset=utf-8\r\n\r\n" + strings.ReplaceAll(body, "\n", "\r\n")
		code, out, stderr := cli(t, []byte(raw), "ingest", "--json")
		if code != 0 {
			t.Fatalf("ingest %s: %d %s", id, code, stderr)
		}
		var r core.IngestResult
		if err := json.Unmarshal([]byte(out), &r); err != nil || r.Outcome != core.OutcomeCommands {
			t.Fatalf("ingest %s: %s", id, out)
		}
		return r
	}
	show := func() core.ProtocolView {
		t.Helper()
		_, out, _ := cli(t, nil, "show", number, "--json")
		var v core.ProtocolView
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	r := staff("c1", "#encaminhar GCOM\n#prazo 5du\n#publico\nA equipe comercial vai avaliar o ressarcimento.\n")
	kinds := notificationKinds(r)
	if kinds[core.NotifyStatusUpdate] != 1 || kinds[core.NotifyUnitNotice] == 0 || kinds[core.NotifyCommandResult] != 1 {
		t.Errorf("forward queued %+v", r.Notifications)
	}
	v := show()
	if v.Unit != "GCOM" || v.Deadline == nil {
		t.Fatalf("after forward: unit %s deadline %v", v.Unit, v.Deadline)
	}
	// The requester's view: what show --json lists as public.
	var public []string
	for _, s := range v.Steps {
		if s.Visibility == core.Public {
			public = append(public, string(s.Kind)+": "+s.Text)
		}
	}
	if len(public) != 2 || !strings.HasPrefix(public[1], "forwarded: A equipe comercial") {
		t.Errorf("public steps %q", public)
	}
	// Bruno's unit no longer holds it: Ana (GCOM manager) concludes and reopens.
	ana := func(id, body string) {
		raw := auth + "From: ana.souza@saneamento.example.gov.br\r\nTo: protocolo@saneamento.example.gov.br\r\n" +
			"Subject: [Protocolo " + number + "]\r\nMessage-ID: <" + id + "@saneamento.example.gov.br>\r\n\r\n" + body
		if code, out, _ := cli(t, []byte(raw), "ingest", "--json"); code != 0 || !strings.Contains(out, `"commands"`) {
			t.Fatalf("ingest %s: %s", id, out)
		}
	}
	ana("c2", "#concluir\r\nRessarcimento aprovado.\r\n")
	if v = show(); v.Status != core.StatusConcluded {
		t.Fatalf("status %s after #concluir", v.Status)
	}
	ana("c3", "#reabrir\r\n")
	if v = show(); v.Status != core.StatusOpen {
		t.Fatalf("status %s after #reabrir", v.Status)
	}
}

func notificationKinds(r core.IngestResult) map[core.NotificationKind]int {
	m := map[core.NotificationKind]int{}
	for _, n := range r.Notifications {
		m[n.Kind]++
	}
	return m
}

// TestCLIOldSchemaIsRefused checks that a command on a database whose schema
// is behind the binary says so (and does not hang).
func TestCLIOldSchemaIsRefused(t *testing.T) {
	setupCLI(t)
	pool, err := pgxpool.New(context.Background(), os.Getenv("DATABASE_URL"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(context.Background(), `UPDATE schema_version SET version = version - 1`); err != nil {
		t.Fatal(err)
	}
	pool.Close()
	done := make(chan struct{})
	var code int
	var stderr string
	go func() {
		code, _, stderr = cli(t, nil, "show", "23037.000001/2026-80")
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("show on an old schema did not return")
	}
	if code != exitFailure || !strings.Contains(stderr, "tramita migrate") {
		t.Errorf("old schema: exit %d, %q", code, stderr)
	}
	if code, _, _ := cli(t, nil, "migrate"); code != 0 {
		t.Fatal("migrate failed")
	}
	if code, _, _ := cli(t, nil, "show", "23037.000001/2026-80"); code != exitNotFound {
		t.Errorf("after migrate: exit %d, want not found", code)
	}
}

// TestCLIStopWhileStarting: SIGTERM (a cancelled context) while serve or web
// is still starting is the stop asked for: exit status 0, not a failure;
// the same cancellation during a one-shot ingest stays a temporary failure.
func TestCLIStopWhileStarting(t *testing.T) {
	setupCLI(t)
	t.Setenv("TRAMITA_LISTEN", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, args := range [][]string{{"serve"}, {"web"}} {
		var out, errb bytes.Buffer
		if code := run(ctx, args, bytes.NewReader(nil), &out, &errb); code != exitOK {
			t.Errorf("%s stopped while starting: exit %d, want 0 (%s)", args[0], code, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"ingest"}, strings.NewReader("From: a@example.org\r\nSubject: x\r\n\r\nbody\r\n"), &out, &errb); code == exitOK {
		t.Errorf("ingest cancelled: exit 0, want a failure (%s)", errb.String())
	}
}

// TestCLICheckStaffSignIn: `tramita check` shows the staff sign-in policy
// and, under staff_signin: password_totp, names the staff members without a
// password or TOTP secret; a bad value is refused by org apply with the key
// and the values allowed.
func TestCLICheckStaffSignIn(t *testing.T) {
	setupCLI(t)
	t.Setenv("TRAMITA_IMAP_URL", "")
	t.Setenv("TRAMITA_SMTP_URL", "")
	code, out, _ := cli(t, nil, "check")
	if code != 0 || !strings.Contains(out, "ok            staff_signin: any") || strings.Contains(out, "aviso / note  staff_signin") {
		t.Errorf("check, default policy: exit %d\n%s", code, out)
	}
	f := t.TempDir() + "/org.yaml"
	bad := strings.Replace(string(examples.OrgYAML), "organization:\n", "organization:\n  staff_signin: totp\n", 1)
	if err := os.WriteFile(f, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cli(t, nil, "org", "apply", f); code == 0 || !strings.Contains(stderr, `organization.staff_signin: "totp" must be any or password_totp`) {
		t.Errorf("bad staff_signin: exit %d %s", code, stderr)
	}
	good := strings.Replace(string(examples.OrgYAML), "organization:\n", "organization:\n  staff_signin: password_totp\n", 1)
	if err := os.WriteFile(f, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := cli(t, nil, "org", "apply", f); code != 0 {
		t.Fatalf("org apply: %d %s", code, stderr)
	}
	if code, _, stderr := cli(t, []byte("uma senha longa o bastante\n"), "staff", "password", "ana.souza@saneamento.example.gov.br"); code != 0 {
		t.Fatalf("staff password: %s", stderr)
	}
	code, out, stderr := cli(t, nil, "staff", "totp", "ana.souza@saneamento.example.gov.br")
	if code != 0 || !strings.Contains(stderr, "Códigos de recuperação") || len(regexp.MustCompile(`(?m)^[a-z2-9]{5}-[a-z2-9]{5}$`).FindAllString(out, -1)) != 10 {
		t.Fatalf("staff totp: %d\n%s\n%s", code, out, stderr)
	}
	code, out, _ = cli(t, nil, "check")
	if code != 0 || !strings.Contains(out, "ok            staff_signin: password_totp") ||
		!strings.Contains(out, "bruno.lima@saneamento.example.gov.br") || strings.Contains(out, "ana.souza@") {
		t.Errorf("check, password_totp: exit %d\n%s", code, out)
	}
}

// TestCLICheckSaysItInBothLanguages: every line of `tramita check` about an
// unset door is Portuguese first, then English; LMTP is checked (a
// non-loopback address fails, without listening) and `tramita help` names
// it; the secret's length is told the same way by check, by a command that
// needs the secret and by the keyring: at least core.MinSecretLen.
func TestCLICheckSaysItInBothLanguages(t *testing.T) {
	setupCLI(t)
	t.Setenv("TRAMITA_IMAP_URL", "")
	t.Setenv("TRAMITA_SMTP_URL", "")
	t.Setenv("TRAMITA_LMTP_LISTEN", "")
	_, out, _ := cli(t, nil, "check")
	for _, door := range []string{"IMAP: TRAMITA_IMAP_URL", "SMTP: TRAMITA_SMTP_URL", "LMTP: TRAMITA_LMTP_LISTEN"} {
		if !strings.Contains(out, door+" não definido / not set") {
			t.Errorf("check lacks %q in both languages:\n%s", door, out)
		}
	}
	t.Setenv("TRAMITA_LMTP_LISTEN", "0.0.0.0:2424")
	if code, out, _ := cli(t, nil, "check"); code == 0 || !strings.Contains(out, "FALHA / FAIL  LMTP (TRAMITA_LMTP_LISTEN)") {
		t.Errorf("check with a public LMTP address: exit %d\n%s", code, out)
	}
	t.Setenv("TRAMITA_LMTP_LISTEN", "unix:"+t.TempDir()+"/lmtp.sock")
	if code, out, _ := cli(t, nil, "check"); code != 0 || !strings.Contains(out, "ok            LMTP (TRAMITA_LMTP_LISTEN)") {
		t.Errorf("check with a socket path: exit %d\n%s", code, out)
	}
	t.Setenv("TRAMITA_LMTP_LISTEN", "")
	if _, out, _ := cli(t, nil, "help"); !strings.Contains(out, "TRAMITA_LMTP_LISTEN") || !strings.Contains(out, "LMTP") {
		t.Errorf("help does not name LMTP:\n%s", out)
	}
	want := fmt.Sprintf("ao menos %d caracteres", core.MinSecretLen)
	t.Setenv("TRAMITA_SECRET", "")
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	_, checkOut, _ := cli(t, nil, "check")
	_, _, ingestErr := cli(t, []byte("From: a@example.org\r\n\r\nx\r\n"), "ingest")
	t.Setenv("TRAMITA_SECRET", "1:curto")
	_, shortOut, _ := cli(t, nil, "check")
	for name, text := range map[string]string{"check": checkOut, "ingest": ingestErr, "check, short secret": shortOut} {
		if !strings.Contains(text, want) || strings.Contains(text, "32+ caracteres aleatórios / random") {
			t.Errorf("%s does not say %q:\n%s", name, want, text)
		}
	}
	if _, err := core.ParseKeyring("1:" + strings.Repeat("x", core.MinSecretLen-1)); err == nil {
		t.Errorf("a key shorter than %d characters is accepted", core.MinSecretLen)
	}
	if _, err := core.ParseKeyring("1:" + strings.Repeat("x", core.MinSecretLen)); err != nil {
		t.Errorf("a key of %d characters is refused: %v", core.MinSecretLen, err)
	}
}
