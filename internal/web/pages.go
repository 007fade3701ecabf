package web

import (
	"io/fs"
	"net/http"
)

// pagesOn serves the static pages at /, and sends / to /phone when the
// pages have it.
func (s *Server) pagesOn(mux *http.ServeMux) {
	if s.pages == nil {
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusNotFound, errorBody{"no such page: " + r.URL.Path})
		})
		return
	}
	files := http.FileServerFS(s.pages)
	_, err := fs.Stat(s.pages, "phone")
	hasPhone := err == nil
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		infoOf(r).route = "pages"
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeJSON(w, http.StatusMethodNotAllowed, errorBody{r.Method + " is not allowed on pages; use GET"})
			return
		}
		if r.URL.Path == "/" && hasPhone {
			http.Redirect(w, r, "/phone", http.StatusFound)
			return
		}
		files.ServeHTTP(w, r)
	})
}
