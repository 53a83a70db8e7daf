package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tramita/tramita/core"
)

// cmdShow runs `tramita show NUMBER [--json]`.
func cmdShow(ctx context.Context, e env, args []string, stdout io.Writer) error {
	asJSON := hasFlag(&args, "--json")
	if len(args) != 1 {
		return fmt.Errorf("%w: tramita show NUMBER [--json]", errUsage)
	}
	n, err := core.ParseNumber(args[0])
	if err != nil {
		return fmt.Errorf("%w: número inválido / invalid number: %v", errUsage, err)
	}
	svc, pool, err := e.readService(ctx, e.logger(io.Discard))
	if err != nil {
		return err
	}
	defer pool.Close()
	v, err := svc.Show(ctx, n)
	if errors.Is(err, core.ErrNotFound) {
		return fmt.Errorf("%w: protocolo %s não encontrado / protocol not found", errNotFound, n)
	}
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	org, err := svc.Organization(ctx)
	if err != nil {
		return err
	}
	printProtocol(stdout, v, org.Location())
	return nil
}

// printProtocol writes v as text, in pt-BR: statuses, roles, step kinds,
// visibility and notification kinds by core's labels (the JSON keeps the
// codes).
func printProtocol(w io.Writer, v core.ProtocolView, loc *time.Location) {
	const lang = core.LangPtBR
	ts := func(t time.Time) string { return t.In(loc).Format("02/01/2006 15:04") }
	fmt.Fprintf(w, "Protocolo %s  [%s]\n", v.Number, v.Status.Label().In(lang))
	fmt.Fprintf(w, "Assunto:  %s\n", v.Subject)
	fmt.Fprintf(w, "Tipo:     %s (%s)\n", v.TypeName, v.Type)
	fmt.Fprintf(w, "Unidade:  %s (%s)\n", v.UnitName, v.Unit)
	fmt.Fprintf(w, "Aberto:   %s   Atualizado: %s\n", ts(v.OpenedAt), ts(v.UpdatedAt))
	if v.Deadline != nil {
		fmt.Fprintf(w, "Prazo:    %s\n", ts(*v.Deadline))
	}
	if v.LegalDeadline != nil {
		extended := ""
		if v.Extended {
			extended = " (prorrogado)"
		}
		fmt.Fprintf(w, "Prazo de resposta: %s%s  %s\n", ts(*v.LegalDeadline), extended, v.LegalBasis)
	}
	if v.Result != "" {
		fmt.Fprintf(w, "Resultado: %s\n", v.Result)
	}
	fmt.Fprintf(w, "Chave:    %s\n", v.AccessKey)
	for _, p := range v.Participants {
		fmt.Fprintf(w, "  %-16s %s\n", core.ParticipantRoleLabel(p.Role).In(lang), strings.TrimSpace(p.Email+" "+p.Name))
	}
	fmt.Fprintln(w, "\nTrâmites:")
	for _, s := range v.Steps {
		units := strings.Trim(s.FromUnit+" → "+s.ToUnit, " →")
		fmt.Fprintf(w, "%3d  %s  %-22s %-8s %s  %s\n", s.N, ts(s.At), s.Kind.Label().In(lang), s.Visibility.Label().In(lang), units, orDefault(s.AuthorName, s.Author))
		if text := strings.TrimSpace(s.Text); text != "" {
			for _, line := range strings.Split(text, "\n") {
				fmt.Fprintf(w, "       | %s\n", line)
			}
		}
		if s.TextCut {
			fmt.Fprintf(w, "       ✂ texto recortado: histórico, citação ou assinatura omitidos (original em show --json) / text cut: history, quote or signature left out (original in show --json)\n")
		}
		for _, a := range s.Attachments {
			fmt.Fprintf(w, "       + %s (%s, %d bytes)\n", a.Filename, a.ContentType, a.Size)
		}
	}
	fmt.Fprintln(w, "\nNotificações:")
	for _, n := range v.Notifications {
		fmt.Fprintf(w, "  %-32s %-9s %s\n", n.Kind.Label().In(lang), core.DeliveryStatusLabel(n.Status).In(lang), strings.Join(n.To, ", "))
		if n.Reason != "" {
			fmt.Fprintf(w, "  %-32s %s\n", "", n.Reason)
		}
	}
}
