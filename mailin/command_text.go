package mailin

// replyTexts are the two texts intake takes from a message's body: the
// step's text and the only text staff commands are read from (the
// sender's own top text, SplitReply's Top: above the first reply marker,
// quote attribution, header block or forward separator; "" when the body
// text was taken from an attached message/rfc822, so a command never runs
// from quoted, forwarded or attached content, whoever wrote it there).
type replyTexts struct {
	text, commandText string
}

// readReply is both texts of m from one SplitReply (the
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
