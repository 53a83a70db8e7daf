package mailin

// CommandText returns the only text of m that staff commands are read
// from: the sender's own top text (SplitReply's Top: above the first reply
// marker, quote attribution, header block or forward separator). It is ""
// when the body text is not the sender's own: taken from an attached
// message (message/rfc822) because the message has none. A command never
// runs from quoted, forwarded or attached content, whoever wrote it there.
func CommandText(m *Message) string {
	return readReply(m).commandText
}

// replyTexts are the two texts intake takes from a message's body: the
// step's text (stepText) and the text commands are read from
// (CommandText).
type replyTexts struct {
	text, commandText string
}

// readReply is stepText and CommandText of m from one SplitReply (the
// reply extraction is most of intake's Go work on a plain message).
func readReply(m *Message) replyTexts {
	r := SplitReply(m.Text)
	var out replyTexts
	if !m.TextFromForwarded {
		out.commandText = r.Top
	}
	out.text = r.Text
	if r.Cut && !r.Forwarded && ForwardedSubject(m.Subject) {
		out.text = joinTrimmed(splitLines(m.Text))
	}
	return out
}
