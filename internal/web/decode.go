package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxBody is the largest request body accepted.
const maxBody = 1 << 20

// decodeJSON reads the request body, one JSON object, into dst. Unknown
// fields, wrong types, trailing data and bodies over 1 MiB are refused with
// a 400 that says which.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	return decodeBody(http.MaxBytesReader(w, r.Body, maxBody), dst)
}

func decodeBody(rd io.Reader, dst any) error {
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return badJSON(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return badJSON(err)
		}
		return errorf(http.StatusBadRequest, "request body must hold exactly one JSON object")
	}
	return nil
}

// badJSON turns a decoding error into a sentence for the client.
func badJSON(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.Is(err, io.EOF):
		return errorf(http.StatusBadRequest, "request body is empty; a JSON object is expected")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(http.StatusBadRequest, "request body is not valid JSON: it ends too early")
	case errors.As(err, &mbe):
		return errorf(http.StatusBadRequest, "request body is larger than %d bytes", mbe.Limit)
	case errors.As(err, &syn):
		return errorf(http.StatusBadRequest, "request body is not valid JSON: %s (at byte %d)", syn.Error(), syn.Offset)
	case errors.As(err, &typ):
		if jsonPath(typ.Field) == "" {
			return errorf(http.StatusBadRequest, "request body must be %s, not %s", kindName(typ.Type.Kind().String()), article(typ.Value))
		}
		return errorf(http.StatusBadRequest, "field %q must be %s, not %s", jsonPath(typ.Field), kindName(typ.Type.Kind().String()), article(typ.Value))
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return errorf(http.StatusBadRequest, "request body has an unknown field %s", f)
	}
	return errorf(http.StatusBadRequest, "request body could not be read: %v", err)
}

// kindName names a Go kind as a JSON reader would say it.
func kindName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "a list"
	case "struct", "map":
		return "a JSON object"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "a whole number"
	case "float32", "float64":
		return "a number"
	}
	return fmt.Sprintf("a %s", kind)
}

// article puts an article before a JSON value kind ("a string", "an array").
func article(v string) string {
	switch {
	case v == "":
		return "something else"
	case strings.HasPrefix(v, "number "):
		return "the number " + strings.TrimPrefix(v, "number ")
	case strings.ContainsAny(v[:1], "aeiou"):
		return "an " + v
	}
	return "a " + v
}

// jsonPath drops the Go names of embedded structs from a decoder's field
// path ("Config.queues" → "queues"): every JSON key of the API is lower
// case.
func jsonPath(field string) string {
	parts := strings.Split(field, ".")
	keep := parts[:0]
	for _, p := range parts {
		if p != "" && (p[0] < 'A' || p[0] > 'Z') {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, ".")
}
