package browsertest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The harness drives a page: open, type, click, evaluate, screenshot.
func TestHarness(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>t</title>
<input id="name" aria-label="name"><button id="go" onclick="document.getElementById('out').textContent = 'hello ' + document.getElementById('name').value">Go</button>
<p id="out"></p>`))
	}))
	defer srv.Close()
	b := Start(t, Options{Width: 640, Height: 480})
	b.Open(srv.URL)
	b.Type("#name", "Ada")
	b.Click("#go")
	b.WaitTrue(b.timeout, "greeting shown", `document.getElementById('out').textContent === 'hello Ada'`)
	var got struct {
		N int    `json:"n"`
		S string `json:"s"`
	}
	b.Eval(`({n: 1 + 2, s: document.title})`, &got)
	if got.N != 3 || got.S != "t" {
		t.Fatalf("Eval = %+v", got)
	}
	var sum int
	b.Eval(`Promise.resolve(40 + 2)`, &sum)
	if sum != 42 {
		t.Fatalf("awaited Eval = %d", sum)
	}
	b.Eval(`setTimeout(() => { throw new Error('boom') }, 0); console.error('bad thing')`, nil)
	deadline := time.Now().Add(b.timeout)
	for len(b.Errors()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("page errors not seen: %q", b.Errors())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if errs := b.Errors(); !strings.Contains(strings.Join(errs, "\n"), "boom") || !strings.Contains(strings.Join(errs, "\n"), "bad thing") {
		t.Fatalf("Errors() = %q", errs)
	}
	path := filepath.Join(t.TempDir(), "shot", "page.png")
	b.Screenshot(path)
	png, err := os.ReadFile(path)
	if err != nil || len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Fatalf("screenshot: %d bytes, %v", len(png), err)
	}
}
