package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/gin-gonic/gin/binding"
	"github.com/go-playground/validator/v10"

	"shopflow/errs"
)

// bindJSON decodes the request body into dst strictly (one JSON object, no unknown fields, the
// body limit enforced) and runs the struct's `binding` validation tags. Its errors say which
// field is wrong and why, in the request's own field names. Text Postgres cannot hold (NUL
// characters, invalid UTF-8) is refused here, for every JSON body at once (text.go).
func bindJSON(c *gin.Context, dst any) error {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return bodyReadError(err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return errs.E(errs.Invalid, "request body is empty; a JSON object is required")
	}
	if err := checkJSONText(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return errs.E(errs.Invalid, "request body must hold a single JSON object")
	}
	return validate(dst)
}

// bodyReadError classifies a failure to read the request body: over the limit is a 413.
func bodyReadError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return errs.E(errs.TooLarge, "request body is larger than %d bytes", tooLarge.Limit)
	}
	return errs.Wrap(err, errs.Invalid, "could not read request body")
}

// validate runs the `binding` tags on v and returns field-level details.
func validate(v any) error {
	err := binding.Validator.ValidateStruct(v)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return errs.Wrap(err, errs.Unprocessable, "invalid request")
	}
	fields := map[string]string{}
	for _, fe := range verrs {
		fields[jsonPath(v, fe)] = describe(fe)
	}
	first := verrs[0]
	return &errs.Error{Code: errs.Unprocessable, Message: fmt.Sprintf("%s %s", jsonPath(v, first), describe(first)),
		Details: map[string]any{"fields": fields}}
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return errs.E(errs.Invalid, "malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return errs.E(errs.Invalid, "request body must be a JSON object")
		}
		return (&errs.Error{Code: errs.Invalid, Message: fmt.Sprintf("%s must be %s", field, jsonKind(typ.Type))}).
			WithDetails("fields", map[string]string{field: "must be " + jsonKind(typ.Type)})
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.E(errs.Invalid, "malformed JSON: body ends early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return (&errs.Error{Code: errs.Invalid, Message: fmt.Sprintf("unknown field %q", name)}).
			WithDetails("fields", map[string]string{name: "unknown field"})
	}
	return errs.Wrap(err, errs.Invalid, "malformed JSON")
}

func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}

// jsonPath turns a validator namespace (Struct.Field.Sub) into the JSON field names the client sent.
func jsonPath(root any, fe validator.FieldError) string {
	parts := strings.Split(fe.StructNamespace(), ".")
	t := reflect.TypeOf(root)
	var out []string
	for _, p := range parts[1:] {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		name, idx, _ := strings.Cut(p, "[")
		if t.Kind() != reflect.Struct {
			out = append(out, p)
			continue
		}
		f, ok := t.FieldByName(name)
		if !ok {
			out = append(out, p)
			continue
		}
		jn, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if jn == "" {
			jn = name
		}
		if idx != "" {
			jn += "[" + idx
		}
		out = append(out, jn)
		t = f.Type
	}
	return strings.Join(out, ".")
}

func describe(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "min", "gte":
		if isText(fe) {
			return "must be at least " + fe.Param() + " characters"
		}
		return "must be at least " + fe.Param()
	case "max", "lte":
		if isText(fe) {
			return "must be at most " + fe.Param() + " characters"
		}
		return "must be at most " + fe.Param()
	case "gt":
		return "must be greater than " + fe.Param()
	case "oneof":
		return "must be one of: " + strings.ReplaceAll(fe.Param(), " ", ", ")
	case "email":
		return "must be an email address"
	case "e164":
		return "must be a phone number in E.164 form, like +14155550123"
	case "iso3166_1_alpha2":
		return "must be an ISO 3166-1 alpha-2 country code, like US"
	case "iso4217":
		return "must be an ISO 4217 currency code, like USD"
	case "uppercase":
		return "must be upper case"
	case "required_if":
		return "is required when " + strings.Replace(fe.Param(), " ", " is ", 1)
	case "excluded_unless", "excluded_if":
		return "is not allowed here"
	case "slug":
		return "must be lower-case letters, digits and single dashes"
	case "dive":
		return "is invalid"
	}
	return "is invalid (" + fe.Tag() + ")"
}

func isText(fe validator.FieldError) bool {
	k := fe.Kind()
	return k == reflect.String || (k == reflect.Pointer && fe.Type().Elem().Kind() == reflect.String)
}

// hasBody reports whether the request carries anything but whitespace, leaving the body to be
// read again. A read error (such as the body limit) counts as a body, and replays for bindJSON
// to report in its usual way.
func hasBody(c *gin.Context) bool {
	body, err := io.ReadAll(c.Request.Body)
	var rest io.Reader = bytes.NewReader(body)
	if err != nil {
		rest = io.MultiReader(rest, failingReader{err})
	}
	c.Request.Body = io.NopCloser(rest)
	return err != nil || len(bytes.TrimSpace(body)) > 0
}

// failingReader returns err on every read.
type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }
