package output

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trailwarden/trailwarden/internal/finding"
)

func TestWebhookSignedRequest(t *testing.T) {
	const secret = "whsec-7f3a9c1e55d0"
	var verified atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read body: %v", err)
		}
		// What a receiver does: recompute the HMAC with its copy of the secret.
		ts := r.Header.Get("X-Trailwarden-Timestamp")
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(ts + "." + string(body)))
		want := "sha256=" + hex.EncodeToString(m.Sum(nil))
		if !hmac.Equal([]byte(r.Header.Get("X-Trailwarden-Signature")), []byte(want)) {
			t.Errorf("signature = %q, want %q", r.Header.Get("X-Trailwarden-Signature"), want)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || time.Since(time.Unix(sec, 0)).Abs() > time.Minute {
			t.Errorf("timestamp %q is not the current unix time", ts)
		}
		var f finding.Finding
		if err := json.Unmarshal(body, &f); err != nil {
			t.Errorf("body is not a finding: %v", err)
		}
		wantHeaders := map[string]string{
			"Content-Type":             "application/json",
			"User-Agent":               "trailwarden/1.2.3",
			"X-Trailwarden-Finding-Id": f.ID,
			"X-Api-Key":                "k-123",
		}
		for k, v := range wantHeaders {
			if got := r.Header.Get(k); got != v {
				t.Errorf("header %s = %q, want %q", k, got, v)
			}
		}
		if r.Method != http.MethodPost {
			t.Errorf("method = %s", r.Method)
		}
		verified.Add(1)
	}))
	defer srv.Close()

	w, err := NewWebhook(WebhookOptions{URL: srv.URL + "/hook", Secret: secret, Version: "1.2.3", Headers: map[string]string{"x-api-key": "k-123"}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(t.Context())
	if w.Name() != "webhook" {
		t.Errorf("Name = %q, want the default", w.Name())
	}
	if err := w.Send(t.Context(), newFinding(1, finding.High)); err != nil {
		t.Fatal(err)
	}
	if verified.Load() != 1 {
		t.Fatal("the receiver did not verify a request")
	}
}

func TestWebhookUnsignedHasNoSignature(t *testing.T) {
	rcv := newReceiver(t)
	w, err := NewWebhook(WebhookOptions{URL: rcv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Send(t.Context(), newFinding(1, finding.Low)); err != nil {
		t.Fatal(err)
	}
	h := rcv.got()[0].header
	if h.Get(HeaderSignature) != "" {
		t.Errorf("unsigned webhook sent %s", HeaderSignature)
	}
	if h.Get("User-Agent") != "trailwarden/dev" {
		t.Errorf("User-Agent = %q", h.Get("User-Agent"))
	}
}

func TestWebhookStatusClassification(t *testing.T) {
	tests := []struct {
		name      string
		reply     reply
		ok        bool
		permanent bool
		wait      time.Duration // -1: no *RetryAfter
	}{
		{name: "200", reply: reply{status: 200}, ok: true},
		{name: "202", reply: reply{status: 202}, ok: true},
		{name: "204", reply: reply{status: 204}, ok: true},
		{name: "400 permanent", reply: reply{status: 400, body: "bad finding"}, permanent: true, wait: -1},
		{name: "401 permanent", reply: reply{status: 401}, permanent: true, wait: -1},
		{name: "404 permanent", reply: reply{status: 404}, permanent: true, wait: -1},
		{name: "302 not followed", reply: reply{status: 302, header: map[string]string{"Location": "http://127.0.0.1:1/elsewhere"}}, permanent: true, wait: -1},
		{name: "408 retryable", reply: reply{status: 408}, wait: -1},
		{name: "429 without Retry-After", reply: reply{status: 429}, wait: -1},
		{name: "429 Retry-After seconds", reply: reply{status: 429, header: map[string]string{"Retry-After": "7"}}, wait: 7 * time.Second},
		{name: "503 Retry-After date", reply: reply{status: 503, header: map[string]string{"Retry-After": "Wed, 01 Jan 2025 00:01:00 GMT"}}, wait: time.Minute},
		{name: "500 retryable", reply: reply{status: 500}, wait: -1},
		{name: "502 with bad Retry-After", reply: reply{status: 502, header: map[string]string{"Retry-After": "later"}}, wait: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newReceiver(t, tt.reply)
			w, err := NewWebhook(WebhookOptions{URL: rcv.URL})
			if err != nil {
				t.Fatal(err)
			}
			w.p.now = func() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }
			err = w.Send(t.Context(), newFinding(1, finding.High))
			if tt.ok {
				if err != nil {
					t.Fatalf("Send = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Send = nil, want an error")
			}
			if IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, !tt.permanent, tt.permanent)
			}
			wait, ok := retryAfter(err)
			if (tt.wait < 0) == ok || (ok && wait != tt.wait) {
				t.Errorf("retryAfter(%v) = %v, %v; want %v", err, wait, ok, tt.wait)
			}
			var he *HTTPError
			if !errors.As(err, &he) || he.StatusCode != tt.reply.status {
				t.Errorf("error %v is not an *HTTPError with status %d", err, tt.reply.status)
			}
			if n := len(rcv.got()); n != 1 {
				t.Errorf("receiver saw %d requests, want 1", n)
			}
		})
	}
}

func TestWebhookTransportErrors(t *testing.T) {
	t.Run("timeout", func(t *testing.T) {
		rcv := newReceiver(t, reply{status: 200, delay: 5 * time.Second})
		w, err := NewWebhook(WebhookOptions{URL: rcv.URL, Timeout: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		err = w.Send(t.Context(), newFinding(1, finding.High))
		if err == nil || IsPermanent(err) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Send = %v, want a retryable deadline error", err)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		rcv := newReceiver(t)
		url := rcv.URL
		rcv.Close()
		w, err := NewWebhook(WebhookOptions{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Send(t.Context(), newFinding(1, finding.High)); err == nil || IsPermanent(err) {
			t.Fatalf("Send = %v, want a retryable error", err)
		}
	})
	t.Run("caller cancels", func(t *testing.T) {
		rcv := newReceiver(t, reply{status: 200, delay: 5 * time.Second})
		w, err := NewWebhook(WebhookOptions{URL: rcv.URL})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		if err := w.Send(ctx, newFinding(1, finding.High)); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Send = %v, want context.DeadlineExceeded", err)
		}
	})
	t.Run("closed", func(t *testing.T) {
		rcv := newReceiver(t)
		w, err := NewWebhook(WebhookOptions{URL: rcv.URL})
		if err != nil {
			t.Fatal(err)
		}
		w.Close(t.Context())
		if err := w.Send(t.Context(), newFinding(1, finding.High)); !errors.Is(err, ErrClosed) || !IsPermanent(err) {
			t.Fatalf("Send after Close = %v, want permanent ErrClosed", err)
		}
	})
}

// TestWebhookSecretsNeverLeak drives every error path with a URL, secret and
// header that hold secrets, and checks none shows in errors or formatting.
func TestWebhookSecretsNeverLeak(t *testing.T) {
	const (
		pathToken   = "pathtok-5f2b8e"
		queryToken  = "qtok-a1b2c3"
		secret      = "hmac-secret-9d8c7b"
		headerToken = "bearer-tok-4e5f6a"
	)
	secrets := []string{pathToken, queryToken, secret, headerToken}
	assertClean := func(t *testing.T, what, s string) {
		t.Helper()
		for _, sec := range secrets {
			if strings.Contains(s, sec) {
				t.Errorf("%s contains secret %q: %s", what, sec, s)
			}
		}
	}
	// The receiver echoes the request back in its error body, as some do.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "rejected %s auth=%s", r.URL, r.Header.Get("Authorization"))
	}))
	defer echo.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()

	for _, base := range []string{echo.URL, deadURL} {
		opts := WebhookOptions{
			URL:     base + "/hooks/" + pathToken + "?token=" + queryToken,
			Secret:  secret,
			Headers: map[string]string{"Authorization": "Bearer " + headerToken},
		}
		w, err := NewWebhook(opts)
		if err != nil {
			t.Fatal(err)
		}
		err = w.Send(t.Context(), newFinding(1, finding.High))
		if err == nil {
			t.Fatal("Send succeeded, want an error")
		}
		assertClean(t, "error", err.Error())
		for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
			assertClean(t, format+" of options", fmt.Sprintf(format, opts))
			assertClean(t, format+" of webhook", fmt.Sprintf(format, w))
		}
	}

	// Construction errors do not quote the URL either.
	for _, bad := range []string{"ftp://" + pathToken + "@host/x", "http://host/%zz" + pathToken, "/relative/" + pathToken} {
		if _, err := NewWebhook(WebhookOptions{URL: bad}); err == nil {
			t.Errorf("NewWebhook(%q) succeeded", bad)
		} else {
			assertClean(t, "construction error", err.Error())
		}
	}
}

func TestWebhookHeaderValidation(t *testing.T) {
	tests := map[string]map[string]string{
		"reserved signature":  {"X-Trailwarden-Signature": "x"},
		"reserved type":       {"content-type": "text/plain"},
		"bad name":            {"Bad Header": "x"},
		"newline in value":    {"X-Ok": "a\r\nInjected: yes"},
		"empty name":          {"": "x"},
		"reserved finding id": {"x-trailwarden-finding-id": "x"},
	}
	for name, h := range tests {
		if _, err := NewWebhook(WebhookOptions{URL: "https://example.com/x", Headers: h}); err == nil {
			t.Errorf("%s: NewWebhook succeeded", name)
		}
	}
}

func TestSign(t *testing.T) {
	// Fixed vector, so a receiver in another language can test against it.
	got := Sign([]byte("secret"), "1700000000", []byte(`{"id":"x"}`))
	m := hmac.New(sha256.New, []byte("secret"))
	m.Write([]byte(`1700000000.{"id":"x"}`))
	if want := "sha256=" + hex.EncodeToString(m.Sum(nil)); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}
