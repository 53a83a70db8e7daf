package webkit

import "net/http"

// CrossOrigin wraps every state-changing handler (POST, PUT, DELETE…) in
// net/http.CrossOriginProtection: a browser request whose Sec-Fetch-Site
// says cross-site, or whose Origin names another host, is refused with
// deny (a 403 page); GET, HEAD and OPTIONS pass. Requests that carry
// neither Sec-Fetch-Site nor Origin — a kiosk, a partner system, curl — are
// not browser requests a third-party page could forge, and pass too (the
// form token and rate limits still apply). trusted lists extra origins
// ("https://portal.example.gov.br") allowed to post here.
func CrossOrigin(next, deny http.Handler, trusted ...string) (http.Handler, error) {
	p := http.NewCrossOriginProtection()
	for _, o := range trusted {
		if err := p.AddTrustedOrigin(o); err != nil {
			return nil, err
		}
	}
	if deny != nil {
		p.SetDenyHandler(deny)
	}
	return p.Handler(next), nil
}
