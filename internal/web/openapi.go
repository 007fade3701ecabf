package web

import (
	_ "embed"
	"net/http"
)

// openAPI is the hand-written OpenAPI 3.1 document of every route.
//
//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, _ *http.Request, _ *caller) error {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
	return nil
}
