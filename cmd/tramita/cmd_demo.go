package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/tramita/tramita/examples"
	"github.com/tramita/tramita/internal/demomail"
)

// demo is a running `tramita demo`.
type demo struct {
	Mail     *demomail.Server
	Accounts []demoAccount
	WebURL   string
	Number   string // protocol opened by the sample message
	// StaffEmail and StaffPassword sign in to the staff site (Ana, manager of GCOM).
	StaffEmail, StaffPassword string
	services                  *services
	pool                      *pgxpool.Pool
}

// close stops the mail server and closes the database pool, after
// services.run has returned.
func (d *demo) close() {
	if d.Mail != nil {
		d.Mail.Close()
	}
	d.pool.Close()
}

// demoAccount is one mailbox of the demo, with its role for the printout.
type demoAccount struct {
	Role     string
	Address  string
	Password string
}

// cmdDemo runs `tramita demo`: with no configuration at all it migrates the
// database at DATABASE_URL (default: the local one the README's set-up
// provides), applies the sample organization (examples/org.yaml), starts an
// in-process mail server on loopback (IMAP + SMTP, local addresses
// delivered into IMAP mailboxes), runs intake, outbound mail, reminders and
// the lookup page against it, sends the sample request as the citizen, and
// prints the addresses and passwords, until SIGINT/SIGTERM.
func cmdDemo(ctx context.Context, e env, stdout, stderr io.Writer) error {
	d, err := startDemo(ctx, e, stderr)
	if err != nil {
		return err
	}
	defer d.close()
	printDemo(stdout, d)
	return d.services.run(ctx)
}

// demoAckLimit is the demo's acknowledgements per address per hour.
const demoAckLimit = 1000

// demoLimits returns e with the demo's acknowledgement limit: one person
// tries the demo with one citizen address, and the production limit (5 an
// hour) would silence the README's tour after a few messages.
// TRAMITA_ACK_LIMIT, when set, still wins.
func demoLimits(e env, getenv func(string) string) env {
	if getenv("TRAMITA_ACK_LIMIT") == "" {
		e.AckLimit = demoAckLimit
	}
	return e
}

// startDemo prepares everything and starts the mail server; the caller runs
// d.services.run.
func startDemo(ctx context.Context, e env, stderr io.Writer) (_ *demo, err error) {
	if e.Secret == "" {
		s, err := demoSecret()
		if err != nil {
			return nil, err
		}
		e.Secret = s
	}
	e = demoLimits(e, os.Getenv)
	if err := cmdMigrate(ctx, e, stderr); err != nil {
		return nil, err
	}
	spec, err := parseOrg("examples/org.yaml", examples.OrgYAML)
	if err != nil {
		return nil, err
	}
	log := e.logger(stderr)
	svc, pool, err := e.service(ctx, log)
	if err != nil {
		return nil, err
	}
	d := &demo{pool: pool}
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	if _, err := svc.ApplyOrg(ctx, spec); err != nil {
		return nil, err
	}
	org, err := svc.Organization(ctx)
	if err != nil {
		return nil, err
	}
	add := func(role, addr string) {
		d.Accounts = append(d.Accounts, demoAccount{Role: role, Address: addr, Password: demoPassword()})
	}
	add("Tramita (caixa do protocolo / service mailbox)", org.Address)
	add("cidadã / citizen", "joana.cidada@example.org")
	for _, st := range spec.Staff {
		add("servidor / staff ("+strings.Join(st.Units, ",")+", "+orDefault(st.Role, "staff")+")", strings.ToLower(st.Email))
	}
	for _, u := range spec.Units {
		if u.Email != "" {
			add("caixa da unidade / unit mailbox "+u.Code, strings.ToLower(u.Email))
		}
	}
	var accounts []demomail.Account
	for _, a := range d.Accounts {
		accounts = append(accounts, demomail.Account{Address: a.Address, Password: a.Password})
	}
	aliases := map[string]string{} // type addresses land in the service mailbox
	for _, t := range spec.Types {
		for _, a := range t.Addresses {
			aliases[strings.ToLower(a)] = org.Address
		}
	}
	authserv := "mx.demo.invalid"
	if len(org.AuthservIDs) > 0 {
		authserv = org.AuthservIDs[0]
	}
	d.Mail, err = demomail.Start(demomail.Config{Accounts: accounts, Aliases: aliases, AuthservID: authserv, Logger: log,
		IMAPAddr: os.Getenv("TRAMITA_DEMO_IMAP"), SMTPAddr: os.Getenv("TRAMITA_DEMO_SMTP")})
	if err != nil {
		return nil, err
	}
	wc, err := loadWebConfig()
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", wc.Listen)
	if err != nil {
		return nil, fmt.Errorf("TRAMITA_LISTEN %s: %w", wc.Listen, err)
	}
	d.WebURL = "http://" + ln.Addr().String()
	smtpHost, smtpPort, _ := net.SplitHostPort(d.Mail.SMTPAddr)
	imapHost, imapPort, _ := net.SplitHostPort(d.Mail.IMAPAddr)
	service := d.Accounts[0]
	vars := map[string]string{
		"TRAMITA_IMAP_URL": fmt.Sprintf("imap://%s:%s@%s:%s/INBOX", url.QueryEscape(service.Address), url.QueryEscape(service.Password),
			imapHost, imapPort),
		"TRAMITA_IMAP_POLL":  "30s",
		"TRAMITA_SMTP_URL":   fmt.Sprintf("smtp://%s:%s?starttls=none", smtpHost, smtpPort),
		"TRAMITA_PUBLIC_URL": orDefault(os.Getenv("TRAMITA_PUBLIC_URL"), d.WebURL),
		// Push intake as an MTA would use it (Postfix lmtp:inet:…): mail
		// handed over here goes through the same core path as IMAP.
		"TRAMITA_LMTP_LISTEN": orDefault(os.Getenv("TRAMITA_DEMO_LMTP"), "127.0.0.1:0"),
	}
	getenv := func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
	d.services, err = newServices(ctx, e, svc, log, getenv, wc)
	if err != nil {
		ln.Close()
		return nil, err
	}
	d.services.listener = ln
	if _, err := d.services.staffListener(); err != nil {
		d.services.closeListeners()
		return nil, err
	}
	// Ana signs in to the staff site with a password (a manager, so no TOTP
	// is required) or with a link mailed to her demo mailbox. Set only now
	// that every listener is open: a second demo that stops on a busy port
	// leaves the running one's password as it printed it.
	d.StaffEmail, d.StaffPassword = "ana.souza@saneamento.example.gov.br", demoPassword()+demoPassword()[5:]
	if err := svc.SetStaffPassword(ctx, d.StaffEmail, d.StaffPassword); err != nil {
		d.services.closeListeners()
		return nil, err
	}
	// The sample request, sent as the citizen through the demo's SMTP port.
	raw, err := examples.MailFile("01-vazamento.eml")
	if err == nil {
		// A Message-ID of its own each run, so a second run opens (and
		// acknowledges) a new protocol instead of seeing a duplicate.
		raw = []byte(strings.Replace(string(raw), "<demo-vazamento-1@example.org>",
			"<demo-vazamento-"+demoPassword()[5:]+"@example.org>", 1))
		err = sendDemoMail(d.Mail.SMTPAddr, "joana.cidada@example.org", "protocolo+vazamento@saneamento.example.gov.br", raw)
	}
	if err != nil {
		log.Warn("demo: sample message not sent", "error", err)
	}
	return d, nil
}

// sendDemoMail submits raw over SMTP without authentication.
func sendDemoMail(addr, from, to string, raw []byte) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.SendMail(from, []string{to}, strings.NewReader(string(raw)))
}

func printDemo(w io.Writer, d *demo) {
	line := strings.Repeat("─", 78)
	fmt.Fprintln(w, line)
	fmt.Fprintln(w, "Tramita — demonstração / demo")
	fmt.Fprintln(w, line)
	fmt.Fprintf(w, "Página de consulta / lookup page:  %s\n", d.WebURL)
	fmt.Fprintf(w, "Criar protocolo / web form:        %s/novo\n", d.WebURL)
	fmt.Fprintf(w, "Página de trâmites / staff site:   %s/gestao\n", d.WebURL)
	fmt.Fprintf(w, "  entre como Ana / sign in as Ana: %s, senha / password %s\n", d.StaffEmail, d.StaffPassword)
	fmt.Fprintf(w, "  (ou peça um link: chega na caixa IMAP de Ana / or ask for a link: it arrives in Ana's IMAP mailbox)\n")
	fmt.Fprintf(w, "Métricas / metrics:                %s/metrics\n", d.WebURL)
	fmt.Fprintf(w, "Painel (estatísticas / statistics): %s/painel\n", d.WebURL)
	fmt.Fprintf(w, "Carta de serviços / services:      %s/servicos\n", d.WebURL)
	fmt.Fprintf(w, "IMAP (sem TLS / plain):            %s\n", d.Mail.IMAPAddr)
	fmt.Fprintf(w, "SMTP (sem TLS, AUTH PLAIN):        %s\n", d.Mail.SMTPAddr)
	if l := d.services.lmtp; l != nil {
		fmt.Fprintf(w, "LMTP (entrega do MTA / MTA push):  %s  (swaks --protocol LMTP --server %s --to protocolo@saneamento.example.gov.br)\n",
			l.Addr(), l.Addr())
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Contas (usuário = endereço) / accounts (login = address):")
	for _, a := range d.Accounts {
		fmt.Fprintf(w, "  %-44s %-12s %s\n", a.Address, a.Password, a.Role)
	}
	fmt.Fprintf(w, "\nEscreva para / write to protocolo@saneamento.example.gov.br (or protocolo+vazamento@…,\n")
	fmt.Fprintf(w, "ligacao@…) como a cidadã; responda como servidor com #encaminhar GCOM, #prazo 5du …\n")
	fmt.Fprintf(w, "Uma mensagem de exemplo já foi enviada / a sample request was sent: see the citizen's INBOX.\n")
	fmt.Fprintf(w, "No formulário /novo use o e-mail da cidadã: o link de confirmação chega na INBOX dela.\n")
	fmt.Fprintf(w, "(web form: give the citizen's address; the confirmation link arrives in her INBOX)\n")
	fmt.Fprintln(w, "Ctrl-C encerra / stops.")
	fmt.Fprintln(w, line)
}

func demoPassword() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return "demo-" + hex.EncodeToString(b)
}

// demoSecretPath is the file that keeps the demo's reply-token secret:
// tramita/demo-secret in the user's config directory ($XDG_CONFIG_HOME,
// ~/.config), or in the temporary directory when there is none.
func demoSecretPath() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "tramita", "demo-secret")
}

// demoSecret returns a random reply-token secret kept in the user's config
// directory, so demo runs agree with each other.
func demoSecret() (string, error) {
	path := demoSecretPath()
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 16 {
		return strings.TrimSpace(string(b)), nil
	}
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	s := hex.EncodeToString(b)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	return s, os.WriteFile(path, []byte(s+"\n"), 0o600)
}
