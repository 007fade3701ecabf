package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
)

// The OpenAPI 3.1 document of every route is hand-written: openapi.json
// holds the info, the core routes and the shared schemas, and each file of
// openapi/ adds the paths and schemas of one area (admin, calls, demo).
//
//go:embed openapi.json
var openAPIBase []byte

//go:embed openapi/*.json
var openAPIParts embed.FS

// openAPI is the whole document as served.
var openAPI = mustMergeOpenAPI(openAPIBase, openAPIParts)

// mustMergeOpenAPI adds each part's paths and component schemas to base.
// A name defined twice is a mistake in the files, and panics at start.
func mustMergeOpenAPI(base []byte, parts fs.FS) []byte {
	var doc map[string]any
	if err := json.Unmarshal(base, &doc); err != nil {
		panic(fmt.Sprintf("openapi.json: %v", err))
	}
	names, _ := fs.Glob(parts, "openapi/*.json")
	slices.Sort(names)
	for _, name := range names {
		b, err := fs.ReadFile(parts, name)
		if err != nil {
			panic(err)
		}
		var part struct {
			Paths      map[string]any `json:"paths"`
			Components struct {
				Schemas map[string]any `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(b, &part); err != nil {
			panic(fmt.Sprintf("%s: %v", name, err))
		}
		mergeInto(doc["paths"].(map[string]any), part.Paths, name)
		mergeInto(doc["components"].(map[string]any)["schemas"].(map[string]any), part.Components.Schemas, name)
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err)
	}
	return out
}

func mergeInto(dst, src map[string]any, from string) {
	for k, v := range src {
		if _, dup := dst[k]; dup {
			panic(fmt.Sprintf("%s: %s is already defined", from, k))
		}
		dst[k] = v
	}
}

func serveOpenAPI(w http.ResponseWriter, _ *http.Request, _ *caller) error {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
	return nil
}
