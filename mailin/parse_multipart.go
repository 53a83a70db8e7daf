package mailin

import (
	"bytes"
	"strings"
)

// DefaultMaxParts is the default bound on the parts read from one
// multipart body and on the attachments kept from one message, so that a
// hostile message cannot make Parse allocate without limit
// (TRAMITA_MAX_ATTACHMENTS; DESIGN.md: "limits on … attachment count are
// configurable").
const DefaultMaxParts = 2000

// splitMultipart splits a multipart body (RFC 2046 §5.1.1) at its boundary
// delimiter lines. A delimiter is "--boundary" at the start of a line,
// optionally followed by "--" and white space only, so that nested
// boundaries that share a prefix are told apart. The line break before a
// delimiter belongs to the delimiter. found is false when no delimiter line
// exists; closed is false when the closing delimiter is missing (the last
// part then runs to the end of the body).
// At most maxParts parts are returned.
func splitMultipart(body []byte, boundary string, maxParts int) (parts [][]byte, found, closed bool) {
	if boundary == "" {
		return nil, false, false
	}
	delim := []byte("--" + boundary)
	start := -1 // start of the current part's content
	pos := 0
	for pos < len(body) {
		i := bytes.Index(body[pos:], delim)
		if i < 0 {
			break
		}
		i += pos
		pos = i + len(delim)
		if i > 0 && body[i-1] != '\n' {
			continue
		}
		rest := body[pos:]
		eol := bytes.IndexByte(rest, '\n')
		var tail []byte
		next := len(body)
		if eol >= 0 {
			tail, next = rest[:eol], pos+eol+1
		} else {
			tail = rest
		}
		isClose := bytes.HasPrefix(tail, []byte("--"))
		if isClose {
			tail = tail[2:]
		}
		if len(bytes.TrimSpace(tail)) != 0 {
			continue
		}
		found = true
		if start >= 0 {
			end := i
			if end > start && body[end-1] == '\n' {
				end--
				if end > start && body[end-1] == '\r' {
					end--
				}
			}
			parts = append(parts, body[start:end])
			if len(parts) >= maxParts {
				return parts, true, false
			}
		}
		if isClose {
			return parts, true, true
		}
		start = next
		pos = next
	}
	if start >= 0 && start <= len(body) {
		parts = append(parts, body[start:])
	}
	return parts, found, false
}

// guessBoundary finds a boundary for a multipart body whose declared one is
// missing or never used: the first line that starts with "--" and is used
// at least twice.
func guessBoundary(body []byte) string {
	pos, candidates := 0, 0
	for tries := 0; pos < len(body) && tries < 10000 && candidates < 20; tries++ {
		eol := bytes.IndexByte(body[pos:], '\n')
		line := body[pos:]
		if eol >= 0 {
			line = body[pos : pos+eol]
		}
		l := strings.TrimSpace(string(line))
		if len(l) > 3 && strings.HasPrefix(l, "--") {
			b := strings.TrimSuffix(l[2:], "--")
			candidates++
			if bytes.Count(body, []byte("--"+b)) >= 2 {
				return b
			}
		}
		if eol < 0 {
			break
		}
		pos += eol + 1
	}
	return ""
}
