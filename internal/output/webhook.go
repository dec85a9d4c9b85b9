package output

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/trailwarden/trailwarden/internal/finding"
)

// The headers a webhook request carries. A receiver verifies a request by
// recomputing the signature over HeaderTimestamp + "." + body with the shared
// secret, rejects stale timestamps, and de-duplicates on HeaderFindingID.
const (
	HeaderFindingID = "X-Trailwarden-Finding-Id"
	HeaderTimestamp = "X-Trailwarden-Timestamp"
	HeaderSignature = "X-Trailwarden-Signature" // "sha256=" + hex HMAC-SHA256
)

// WebhookOptions configures a Webhook. URL, Secret and Headers values are
// secrets: String and LogValue redact them.
type WebhookOptions struct {
	// Name defaults to "webhook".
	Name string
	// URL receives a POST of each finding as JSON. It must be http or https.
	URL string
	// Secret, when set, signs every request (HeaderSignature).
	Secret string
	// Headers are added to every request (e.g. Authorization). They cannot
	// replace Content-Type or the X-Trailwarden-* headers.
	Headers map[string]string
	// Timeout bounds one attempt; zero means DefaultTimeout.
	Timeout time.Duration
	// Version goes into the User-Agent: trailwarden/<Version>.
	Version string
	// Client sends the requests; nil means a default client. Redirects are
	// never followed, whatever Client says.
	Client *http.Client
}

// LogValue shows the options with the URL path, secret and header values redacted.
func (o WebhookOptions) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", o.Name),
		slog.String("url", redactURL(o.URL)),
		slog.Bool("signed", o.Secret != ""),
		slog.Any("headers", headerNames(o.Headers)),
		slog.Duration("timeout", o.Timeout),
	)
}

// String is like LogValue, for fmt.
func (o WebhookOptions) String() string { return o.LogValue().String() }

// GoString keeps %#v from printing the secrets.
func (o WebhookOptions) GoString() string { return "output.WebhookOptions" + o.String() }

// Webhook posts each finding as JSON to a URL. It is safe for concurrent use.
type Webhook struct {
	name    string
	p       *poster
	secret  []byte
	headers http.Header
	ua      string
	closed  atomic.Bool
}

var _ Output = (*Webhook)(nil)

// NewWebhook validates o and returns a Webhook. Its errors never contain the
// URL, the secret or header values.
func NewWebhook(o WebhookOptions) (*Webhook, error) {
	extra := make(http.Header, len(o.Headers))
	secrets := []string{o.Secret}
	for k, v := range o.Headers {
		if err := checkHeader(k, v); err != nil {
			return nil, fmt.Errorf("webhook: headers: %w", err)
		}
		extra.Set(k, v)
		secrets = append(secrets, v)
	}
	p, err := newPoster("webhook", o.URL, o.Client, o.Timeout, secrets...)
	if err != nil {
		return nil, fmt.Errorf("webhook: url: %w", err)
	}
	w := &Webhook{
		name:    cmp.Or(o.Name, "webhook"),
		p:       p,
		headers: extra,
		ua:      userAgent(o.Version),
	}
	if o.Secret != "" {
		w.secret = []byte(o.Secret)
	}
	return w, nil
}

// Name returns the output's name.
func (w *Webhook) Name() string { return w.name }

// Send posts f. 2xx means accepted; 408, 429, 5xx and network errors are
// retryable (a *RetryAfter when the response has Retry-After); any other
// status is Permanent. The receiver de-duplicates on HeaderFindingID.
func (w *Webhook) Send(ctx context.Context, f *finding.Finding) error {
	if w.closed.Load() {
		return Permanent(fmt.Errorf("webhook %s: %w", w.name, ErrClosed))
	}
	body, err := encodeJSON(f)
	if err != nil {
		return Permanent(fmt.Errorf("webhook: encode finding %s: %w", f.ID, err))
	}
	body = bytes.TrimSuffix(body, []byte("\n"))
	ts := strconv.FormatInt(w.p.now().Unix(), 10)

	h := w.headers.Clone()
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", w.ua)
	h.Set(HeaderFindingID, f.ID)
	h.Set(HeaderTimestamp, ts)
	if w.secret != nil {
		h.Set(HeaderSignature, Sign(w.secret, ts, body))
	}
	return w.p.post(ctx, body, h)
}

// Close releases idle connections. Later Sends fail with ErrClosed.
func (w *Webhook) Close(context.Context) error {
	w.closed.Store(true)
	w.p.close()
	return nil
}

// LogValue describes the webhook without its secrets.
func (w *Webhook) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("name", w.name),
		slog.String("url", w.p.displayURL()),
		slog.Bool("signed", w.secret != nil),
	)
}

// String describes the webhook without its secrets.
func (w *Webhook) String() string { return "webhook " + w.name + " " + w.p.displayURL() }

// GoString keeps %#v from printing the secrets.
func (w *Webhook) GoString() string { return "&output.Webhook{" + w.String() + "}" }

// Sign returns the HeaderSignature value for a request: "sha256=" and the hex
// HMAC-SHA256 of timestamp + "." + body under secret.
func Sign(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// checkHeader rejects header names and values net/http would refuse, and the
// headers the webhook sets itself. Errors name the header, never its value.
func checkHeader(name, value string) error {
	if name == "" || strings.IndexFunc(name, func(r rune) bool { return !isTokenRune(r) }) >= 0 {
		return fmt.Errorf("invalid header name %q", name)
	}
	canon := http.CanonicalHeaderKey(name)
	if strings.HasPrefix(canon, "X-Trailwarden-") || slices.Contains([]string{"Content-Type", "Content-Length", "Host", "Transfer-Encoding"}, canon) {
		return fmt.Errorf("%s is set by trailwarden and cannot be configured", canon)
	}
	if strings.ContainsFunc(value, func(r rune) bool { return r != '\t' && isControl(r) }) {
		return fmt.Errorf("value of %s contains control characters", canon)
	}
	return nil
}

// isTokenRune reports whether r may appear in an HTTP header name (RFC 9110 token).
func isTokenRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("!#$%&'*+-.^_`|~", r)
}

// headerNames returns the sorted names of h, the only part of it that is logged.
func headerNames(h map[string]string) []string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

func userAgent(version string) string { return "trailwarden/" + cmp.Or(version, "dev") }

// encodeJSON encodes v as one line of JSON, newline included, without HTML
// escaping (the text stays as it was in CloudTrail).
func encodeJSON(v any) ([]byte, error) {
	if f, ok := v.(*finding.Finding); ok {
		return f.AppendJSONLine(nil)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
