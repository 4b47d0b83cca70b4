package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"reflect"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/anjungan/anjungan/internal/fault"
)

// maxJSONDepth bounds the nesting of a kiosk request: its bodies are flat
// objects, and a deep one only costs the walk.
const maxJSONDepth = 8

// decodeJSON reads the request's JSON body into v, a pointer to a
// struct, strictly: the Content-Type must be application/json, the body
// one object whose keys are v's JSON names exactly (no unknown key, no
// key twice, no other spelling of one) and nothing after it. The body is
// read as it arrived: never inflated, never parsed as a form, multipart
// or XML (fiber's BodyParser does all three).
func decodeJSON(c *fiber.Ctx, v any) error {
	if err := jsonContentType(c); err != nil {
		return err
	}
	return strictJSON(c.Request().Body(), v)
}

// jsonContentType accepts application/json, with at most a UTF-8 charset.
func jsonContentType(c *fiber.Ctx) error {
	ct := string(c.Request().Header.ContentType())
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != fiber.MIMEApplicationJSON {
		return fault.ContentTypeUnsupported.Withf("Content-Type %q", ct)
	}
	for k, p := range params {
		if k != "charset" || !strings.EqualFold(p, "utf-8") {
			return fault.ContentTypeUnsupported.Withf("Content-Type %q", ct)
		}
	}
	return nil
}

// strictJSON decodes body into v (a pointer to a struct) as decodeJSON
// describes.
func strictJSON(body []byte, v any) error {
	if err := checkKeys(body, jsonNames(v)); err != nil {
		return fault.BodyInvalid.With(err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fault.BodyInvalid.With(err)
	}
	return nil
}

// jsonNames returns the JSON names of the fields of the struct v points
// to. encoding/json matches keys without regard to case, so "TICKET"
// would fill Ticket and pass DisallowUnknownFields; only these exact
// names are accepted.
func jsonNames(v any) map[string]bool {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	names := map[string]bool{}
	if t.Kind() != reflect.Struct {
		return names
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		names[name] = true
	}
	return names
}

// checkKeys walks body's tokens: it must be exactly one JSON object whose
// keys are in known, with no key twice in any object, nested no deeper
// than maxJSONDepth. Duplicate keys are refused because decoders disagree
// on which one wins: what one part of a system checks must be what
// another uses.
func checkKeys(body []byte, known map[string]bool) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		object  bool
		wantKey bool
		keys    map[string]bool
	}
	var stack []frame
	done := false // the top-level value has ended
	valueEnded := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true
		} else if n == 0 {
			done = true
		}
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if !done {
				return errors.New("no JSON object")
			}
			return nil
		}
		if err != nil {
			return err
		}
		if done {
			return errors.New("data after the JSON object")
		}
		if len(stack) == 0 && tok != json.Delim('{') {
			return errors.New("not a JSON object")
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
			if tok == json.Delim('}') {
				stack = stack[:n-1]
				valueEnded()
				continue
			}
			k, _ := tok.(string) // the decoder gives keys as strings
			if stack[n-1].keys[k] {
				return errors.New("duplicate key " + quoteKey(k))
			}
			if n == 1 && !known[k] {
				return errors.New("unknown key " + quoteKey(k))
			}
			stack[n-1].keys[k] = true
			stack[n-1].wantKey = false
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) >= maxJSONDepth {
				return errors.New("nested too deep")
			}
			stack = append(stack, frame{object: tok == json.Delim('{'), wantKey: true, keys: map[string]bool{}})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueEnded()
		default:
			valueEnded()
		}
	}
}

// quoteKey quotes a key for a log line, cut short.
func quoteKey(k string) string {
	if len(k) > 64 {
		k = k[:64] + "…"
	}
	b, _ := json.Marshal(k)
	return string(b)
}
