package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"image/png"
	"io"
	"os"
	"strings"

	"github.com/skip2/go-qrcode"
	"github.com/tramita/tramita/core"
)

// cmdStaff runs `tramita staff password EMAIL` (the new password read from
// stdin, first line; an empty line removes it) and `tramita staff totp
// EMAIL [--png FILE]` (a new TOTP secret: prints the otpauth:// URI and its
// QR code as text, or writes it as a PNG).
func cmdStaff(ctx context.Context, e env, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	pngFile := ""
	for i := 0; i < len(args); i++ {
		if args[i] == "--png" && i+1 < len(args) {
			pngFile = args[i+1]
			args = append(args[:i], args[i+2:]...)
			break
		}
	}
	if len(args) != 2 || (args[0] != "password" && args[0] != "totp") {
		return fmt.Errorf("%w: tramita staff password EMAIL < senha | tramita staff totp EMAIL [--png FILE]", errUsage)
	}
	log := e.logger(stderr)
	svc, pool, err := e.service(ctx, log)
	if err != nil {
		return err
	}
	defer pool.Close()
	email := args[1]
	switch args[0] {
	case "password":
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading the password from stdin: %w", err)
		}
		pw := strings.TrimRight(line, "\r\n")
		if pw != "" && len([]rune(pw)) < 12 {
			return fmt.Errorf("%w: a password has at least 12 characters", errUsage)
		}
		err = svc.SetStaffPassword(ctx, email, pw)
		if errors.Is(err, core.ErrNotFound) {
			return fmt.Errorf("%w: no active staff member %s", errNotFound, email)
		}
		if err != nil {
			return err
		}
		if pw == "" {
			fmt.Fprintf(stderr, "senha removida / password removed: %s\n", email)
		} else {
			fmt.Fprintf(stderr, "senha definida / password set: %s\n", email)
		}
		return nil
	}
	key, err := svc.SetStaffTOTP(ctx, email)
	if errors.Is(err, core.ErrNotFound) {
		return fmt.Errorf("%w: no active staff member %s", errNotFound, email)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, key.URL())
	codes, err := svc.NewRecoveryCodes(ctx, email)
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, "Códigos de recuperação: cada um vale uma vez no lugar do código do aplicativo; guarde-os longe do telefone, "+
		"não serão mostrados de novo. / Recovery codes: each works once instead of the app's code; keep them away from the phone, "+
		"they will not be shown again.")
	for _, c := range codes {
		fmt.Fprintln(stdout, c)
	}
	if pngFile != "" {
		img, err := key.Image(256, 256)
		if err != nil {
			return fmt.Errorf("drawing the QR code: %w", err)
		}
		f, err := os.OpenFile(pngFile, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		if err := png.Encode(f, img); err != nil {
			f.Close()
			return fmt.Errorf("writing %s: %w", pngFile, err)
		}
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "QR code: %s\n", pngFile)
		return nil
	}
	q, err := qrcode.New(key.URL(), qrcode.Medium)
	if err != nil {
		return fmt.Errorf("drawing the QR code: %w", err)
	}
	fmt.Fprint(stdout, q.ToSmallString(false))
	fmt.Fprintln(stderr, "Leia o código no aplicativo autenticador; o código anterior deixou de valer. / Scan it with an authenticator app; the previous one no longer works.")
	return nil
}
