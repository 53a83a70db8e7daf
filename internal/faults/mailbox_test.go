//go:build faults

package faults

import (
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/tramita/tramita/internal/dovecot"
)

// Mailboxes of the private Dovecot (maildir: "." separates levels).
const (
	inbox     = "INBOX"
	processed = "Tramita.Processed"
	failed    = "Tramita.Failed"
)

// dialIMAP logs in to the scenario's Dovecot as the service mailbox.
func (w *world) dialIMAP() (*imapclient.Client, error) {
	c, err := imapclient.DialInsecure(w.imap.Addr, &imapclient.Options{})
	if err != nil {
		return nil, err
	}
	if err := c.Login(dovecot.User, dovecot.Password).Wait(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// appendMail APPENDs raws to INBOX on one connection, at most perSecond
// messages a second (0: as fast as the server takes them).
func (w *world) appendMail(raws [][]byte, perSecond float64) error {
	c, err := w.dialIMAP()
	if err != nil {
		return err
	}
	defer c.Close()
	start := time.Now()
	for i, raw := range raws {
		if perSecond > 0 {
			if d := time.Until(start.Add(time.Duration(float64(i) / perSecond * float64(time.Second)))); d > 0 {
				time.Sleep(d)
			}
		}
		cmd := c.Append(inbox, int64(len(raw)), nil)
		if _, err := cmd.Write(raw); err != nil {
			return fmt.Errorf("append %d: %w", i, err)
		}
		if err := cmd.Close(); err != nil {
			return fmt.Errorf("append %d: %w", i, err)
		}
		if _, err := cmd.Wait(); err != nil {
			return fmt.Errorf("append %d: %w", i, err)
		}
	}
	return c.Logout().Wait()
}

// mailboxCounts returns how many messages INBOX, the processed and the
// failed folder hold (a folder not created yet counts 0).
func (w *world) mailboxCounts() (map[string]uint32, error) {
	c, err := w.dialIMAP()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	out := map[string]uint32{}
	for _, mb := range []string{inbox, processed, failed} {
		st, err := c.Status(mb, &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			if mb != inbox && strings.Contains(strings.ToLower(err.Error()), "exist") {
				continue
			}
			return nil, fmt.Errorf("STATUS %s: %w", mb, err)
		}
		if st.NumMessages != nil {
			out[mb] = *st.NumMessages
		}
	}
	_ = c.Logout().Wait()
	return out, nil
}

// messageIDs returns the Message-ID of every message in mailbox, with
// repetitions.
func (w *world) messageIDs(mailbox string) ([]string, error) {
	c, err := w.dialIMAP()
	if err != nil {
		return nil, err
	}
	defer c.Close()
	sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return nil, err
	}
	var ids []string
	if sel.NumMessages > 0 {
		var set imap.SeqSet
		set.AddRange(1, sel.NumMessages)
		msgs, err := c.Fetch(set, &imap.FetchOptions{Envelope: true}).Collect()
		if err != nil {
			return nil, err
		}
		for _, m := range msgs {
			if m.Envelope != nil {
				ids = append(ids, strings.Trim(m.Envelope.MessageID, "<>"))
			}
		}
	}
	_ = c.Logout().Wait()
	return ids, nil
}
