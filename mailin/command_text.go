package mailin

// CommandText returns the only text of m that staff commands are read
// from: the sender's own top text (SplitReply's Top: above the first reply
// marker, quote attribution, header block or forward separator). It is ""
// when the body text is not the sender's own: taken from an attached
// message (message/rfc822) because the message has none. A command never
// runs from quoted, forwarded or attached content, whoever wrote it there.
func CommandText(m *Message) string {
	if m.TextFromForwarded {
		return ""
	}
	return SplitReply(m.Text).Top
}
