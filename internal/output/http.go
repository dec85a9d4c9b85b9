package output

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout bounds one HTTP delivery attempt when no timeout is set.
const DefaultTimeout = 10 * time.Second

// redacted stands in for secrets in logs and errors.
const redacted = "REDACTED"

// HTTPError is a response outside 2xx from a webhook or Slack. The Dispatcher
// sees it wrapped: Permanent for 3xx and 4xx other than 408 and 429,
// *RetryAfter when the response named a wait.
type HTTPError struct {
	StatusCode int
	// Body is the start of the response body, with control characters and
	// any configured secret removed.
	Body string
}

// Error returns "HTTP <code> <text>: <body>".
func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("HTTP %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.StatusCode >= 300 && e.StatusCode < 400 {
		msg += " (redirects are not followed)"
	}
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// retryable reports whether a status can succeed on a later attempt.
func retryable(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		const maxSecs = int64(1<<63-1) / int64(time.Second)
		return time.Duration(min(secs, maxSecs)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// poster sends JSON to one URL that must stay secret, and turns the outcome
// into an error the Dispatcher can classify.
type poster struct {
	kind    string // "webhook" or "slack", prefixes errors
	url     string
	safeURL string // scheme://host, the only part of url shown anywhere
	client  *http.Client
	timeout time.Duration
	scrub   *strings.Replacer // removes secrets from error text
	now     func() time.Time
}

// newPoster validates rawURL and prepares a client that does not follow
// redirects (a redirect would carry custom headers to another host). Errors
// never contain rawURL or any of secrets.
func newPoster(kind, rawURL string, client *http.Client, timeout time.Duration, secrets ...string) (*poster, error) {
	safe, err := checkURL(rawURL)
	if err != nil {
		return nil, err
	}
	if timeout < 0 {
		return nil, fmt.Errorf("timeout %v is negative", timeout)
	}
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	var c http.Client
	if client != nil {
		c = *client
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	u, _ := url.Parse(rawURL) // checkURL parsed it already
	hide := []string{rawURL, u.String(), u.Redacted()}
	if len(u.EscapedPath()) > 1 {
		hide = append(hide, u.EscapedPath(), u.Path)
	}
	if u.RawQuery != "" {
		hide = append(hide, u.RawQuery)
	}
	hide = append(hide, secrets...)
	var pairs []string
	for _, s := range hide {
		if len(s) >= 4 { // shorter values are not secrets worth mangling every message for
			pairs = append(pairs, s, redacted)
		}
	}
	return &poster{
		kind:    kind,
		url:     rawURL,
		safeURL: safe,
		client:  &c,
		timeout: timeout,
		scrub:   strings.NewReplacer(sortLongestFirst(pairs)...),
		now:     time.Now,
	}, nil
}

// sortLongestFirst orders replacer pairs so that a longer secret is replaced
// before a shorter one that it contains (the replacer tries pairs in order).
func sortLongestFirst(pairs []string) []string {
	for i := 2; i < len(pairs); i += 2 {
		for j := i; j >= 2 && len(pairs[j]) > len(pairs[j-2]); j -= 2 {
			pairs[j], pairs[j-2] = pairs[j-2], pairs[j]
			pairs[j+1], pairs[j-1] = pairs[j-1], pairs[j+1]
		}
	}
	return pairs
}

// checkURL validates an output URL and returns its displayable scheme://host.
func checkURL(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("missing")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", errors.New("not a valid URL") // url.Parse's error quotes the URL
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return "", errors.New("no host")
	}
	return u.Scheme + "://" + u.Host, nil
}

// post sends body with header and classifies the outcome.
func (p *poster) post(ctx context.Context, body []byte, header http.Header) error {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return Permanent(fmt.Errorf("%s: build request: %w", p.kind, p.redact(err)))
	}
	req.Header = header
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: post to %s: %w", p.kind, p.safeURL, p.redact(err))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // let the connection be reused

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	herr := fmt.Errorf("%s: %w", p.kind, &HTTPError{
		StatusCode: resp.StatusCode,
		Body:       truncate(strings.TrimSpace(sanitize(p.scrub.Replace(string(snippet)))), 200),
	})
	if !retryable(resp.StatusCode) {
		return Permanent(herr)
	}
	if wait, ok := parseRetryAfter(resp.Header.Get("Retry-After"), p.now()); ok {
		return &RetryAfter{Wait: wait, Err: herr}
	}
	return herr
}

// redact returns err with every secret removed from its message. The result
// does not unwrap to err (that would expose the original message) but still
// matches, through errors.Is, what err matches, such as
// context.DeadlineExceeded.
func (p *poster) redact(err error) error {
	return &redactedError{msg: p.scrub.Replace(err.Error()), cause: err}
}

type redactedError struct {
	msg   string
	cause error
}

func (e *redactedError) Error() string        { return e.msg }
func (e *redactedError) Is(target error) bool { return errors.Is(e.cause, target) }

// close releases idle connections.
func (p *poster) close() { p.client.CloseIdleConnections() }

// GoString keeps %#v from printing the URL.
func (p *poster) GoString() string { return "&output.poster{" + p.kind + " " + p.displayURL() + "}" }

// displayURL is how the URL appears in logs: scheme and host only.
func (p *poster) displayURL() string { return p.safeURL + "/" + redacted }
