package ctl

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/internal/privtmp"
	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/docqr"
	"github.com/anjungan/anjungan/station/registry"
	"github.com/anjungan/anjungan/station/render"
	"github.com/anjungan/anjungan/station/ticket"
	"github.com/anjungan/anjungan/templates"
)

// parseRender: anjunganctl render — renders a document to a PDF (and PNG
// previews) for people who adjust templates, from a sample file or from
// registry-sim: the document of one resident (-nik), or of anyone
// eligible.
func parseRender(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	doc := fs.String("doc", "ktp-el", "document type to fetch from registry-sim: "+typeList()+" (ktp for ktp-el)")
	nikText := fs.String("nik", "", "render the document of this resident of registry-sim (for a KIA: the child); empty means anyone eligible")
	parentText := fs.String("parent", "", "for a document a parent requests (-doc kia): the parent who requests the child's document")
	up := upstreamFlags(fs, "var")
	in := fs.String("in", "", "render this sample file instead (JSON: type, subject, fields, rows, images as file names beside it)")
	tmpl := fs.String("templates", "", "template folder (with fonts/); empty means the embedded templates")
	key := fs.String("key", "var/keys/document.key", "document signing key; when absent, a throw-away key signs the QR")
	out := fs.String("out", "document.pdf", "PDF to write")
	dpi := fs.Int("png", 0, "also write one PNG per page at this resolution (e.g. 150); 0: none")
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	t := station.DocumentType(*doc)
	if *doc == "ktp" {
		t = station.KTPEl
	}
	if *in == "" && !t.Valid() {
		return nil, fmt.Errorf("-doc %q: want one of %s", *doc, typeList())
	}
	var who applicant
	if *nikText != "" || *parentText != "" {
		if *in != "" {
			return nil, errors.New("-nik and -parent fetch from registry-sim; -in renders a sample file: give one or the other")
		}
		var err error
		if who, err = parseApplicant(t, *nikText, *parentText); err != nil {
			return nil, err
		}
	}
	return func(ctx context.Context) error {
		signer, err := documentSigner(*key)
		if err != nil {
			return err
		}
		r, err := newRenderer(*tmpl, signer)
		if err != nil {
			return err
		}
		var d station.Document
		if *in != "" {
			d, err = loadSample(*in)
		} else {
			d, err = fetchDocument(ctx, up, t, who)
		}
		if err != nil {
			return err
		}
		res, err := r.Render(ctx, d)
		if err != nil {
			return err
		}
		if err := os.WriteFile(*out, res.PDF, 0o600); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "%s: %s, %d page(s), sha256 %s\n", *out, d.Type.Title(), res.Pages, res.SHA256)
		if *dpi == 0 {
			return nil
		}
		// The previewer's temporary files go in a private folder beside
		// the PDF, which holds the same data; never in TMPDIR.
		tmp, err := privtmp.MkdirTemp(filepath.Dir(*out), ".render-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		pv, err := render.NewPreviewer(tmp)
		if err != nil {
			return err
		}
		for i := range res.Pages {
			p, err := pv.Preview(ctx, res.PDF, i, *dpi)
			if err != nil {
				return err
			}
			name := fmt.Sprintf("%s-%d.png", strings.TrimSuffix(*out, filepath.Ext(*out)), i+1)
			if err := os.WriteFile(name, p, 0o600); err != nil {
				return err
			}
			fmt.Fprintln(m.Stdout, name)
		}
		return nil
	}, nil
}

// newRenderer loads the templates of dir, or the embedded ones.
func newRenderer(dir string, signer *docqr.Signer) (*render.Renderer, error) {
	if dir != "" {
		return render.New(os.DirFS(dir), render.WithSigner(signer))
	}
	return render.New(templates.FS, render.WithSigner(signer))
}

// documentSigner loads the document key, or makes a throw-away one so
// that template work needs no keys.
func documentSigner(path string) (*docqr.Signer, error) {
	key, err := ticket.LoadPrivateKey(path)
	if errors.Is(err, os.ErrNotExist) {
		_, key, err = ed25519.GenerateKey(rand.Reader)
	}
	if err != nil {
		return nil, err
	}
	return docqr.NewSigner(key)
}

// sampleFile is the format of station/render/testdata/*.json.
type sampleFile struct {
	Type    station.DocumentType `json:"type"`
	Subject string               `json:"subject"`
	Fields  map[string]string    `json:"fields"`
	Rows    []map[string]string  `json:"rows"`
	Images  map[string]string    `json:"images"`
}

func loadSample(path string) (station.Document, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return station.Document{}, err
	}
	var s sampleFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return station.Document{}, fmt.Errorf("%s: %w", path, err)
	}
	d := station.Document{Request: "sample", Type: s.Type, Fields: s.Fields, Rows: s.Rows, Images: map[string][]byte{}}
	if s.Subject != "" {
		if d.Subject, err = station.ParseNIK(s.Subject); err != nil {
			return station.Document{}, fmt.Errorf("%s: subject: %w", path, err)
		}
	}
	for k, name := range s.Images {
		if d.Images[k], err = os.ReadFile(filepath.Join(filepath.Dir(path), name)); err != nil {
			return station.Document{}, err
		}
	}
	return d, nil
}

// applicant is whose document render fetches: the zero value means
// anyone registry-sim finds eligible.
type applicant struct {
	nik   *station.NIK // the resident whose document it is (for a KIA, the child)
	adult *station.NIK // for a KIA, the parent who requests it
}

func parseApplicant(t station.DocumentType, nikText, parentText string) (applicant, error) {
	var a applicant
	if nikText == "" {
		return a, errors.New("-parent goes with -nik (the child)")
	}
	nik, err := station.ParseNIK(nikText)
	if err != nil {
		return a, fmt.Errorf("-nik: %w", err)
	}
	a.nik = &nik
	if parentText == "" {
		return a, nil
	}
	if !byParent(t) {
		return a, fmt.Errorf("-parent is for a document a parent requests for a child (%s), not %s", strings.Join(parentTypes(), ", "), t)
	}
	parent, err := station.ParseNIK(parentText)
	if err != nil {
		return a, fmt.Errorf("-parent: %w", err)
	}
	a.adult = &parent
	return a, nil
}

// approvalRequest is the body of registry-sim's POST /admin/approvals.
func (a applicant) approvalRequest(t station.DocumentType) map[string]any {
	body := map[string]any{"documents": []station.DocumentType{t}}
	switch {
	case a.nik == nil:
	case !byParent(t):
		body["nik"] = a.nik.Reveal()
	default:
		// A KIA is requested by a parent for a child.
		body["child_nik"] = a.nik.Reveal()
		if a.adult != nil {
			body["nik"] = a.adult.Reveal()
		}
	}
	return body
}

// fetchDocument asks registry-sim for a new approval of one document for
// who, logs in with its PIN and fetches the document, as a kiosk would.
func fetchDocument(ctx context.Context, up *upstream, t station.DocumentType, who applicant) (station.Document, error) {
	hc, err := up.client()
	if err != nil {
		return station.Document{}, err
	}
	a, err := requestApproval(ctx, hc, up.url, who, t)
	if err != nil {
		return station.Document{}, err
	}
	d, err := fetchApproved(ctx, hc, up.url, a, t)
	if err != nil {
		return station.Document{}, err
	}
	if who.nik != nil && !documentOf(d, *who.nik) {
		return station.Document{}, fmt.Errorf("registry-sim returned a %s that is not of NIK %s", t.Title(), *who.nik)
	}
	return d, nil
}

// documentOf reports whether d is the document of nik: a NIK its spec
// ties it to (station.DocumentSpec.SubjectNIKs), or for a document with a
// table (a KK) one of its rows'. (d.Subject is the applicant, who for a
// KIA is the parent.)
func documentOf(d station.Document, nik station.NIK) bool {
	spec, _ := station.SpecOf(d.Type)
	for _, f := range spec.SubjectNIKs {
		if d.Fields[f] == nik.Reveal() {
			return true
		}
	}
	for _, row := range d.Rows {
		if row["nik"] == nik.Reveal() {
			return true
		}
	}
	return false
}

// byParent reports whether document type t is requested by a parent for
// a child (the KIA), by its spec.
func byParent(t station.DocumentType) bool {
	spec, _ := station.SpecOf(t)
	return slices.Contains(spec.RequestedBy, station.RequesterParent)
}

// parentTypes lists the document types a parent requests for a child.
func parentTypes() []string {
	var out []string
	for _, d := range station.DocumentTypes() {
		if byParent(d) {
			out = append(out, string(d))
		}
	}
	return out
}

// typeList is the registered document types, for help and errors.
func typeList() string {
	var out []string
	for _, d := range station.DocumentTypes() {
		out = append(out, string(d))
	}
	return strings.Join(out, ", ")
}

// fetchApproved logs in with the PIN of approval a and fetches its
// document of type t.
func fetchApproved(ctx context.Context, hc *http.Client, baseURL string, a Approval, t station.DocumentType) (station.Document, error) {
	nik, err := station.ParseNIK(a.NIK)
	if err != nil {
		return station.Document{}, fmt.Errorf("registry-sim approval: %w", err)
	}
	c := registry.New(baseURL, hc, zerolog.Nop())
	authz, err := c.AuthenticatePIN(ctx, nik, a.PIN)
	if err != nil {
		return station.Document{}, err
	}
	for _, req := range authz.Requests {
		if req.Document == t {
			return c.Document(ctx, authz, req.ID)
		}
	}
	return station.Document{}, fmt.Errorf("registry-sim approved no %s", t)
}

// requestApproval asks registry-sim's admin API for an approval of t for
// who. Its refusals become errors that say what to do, naming the NIK
// masked (it is personal data, even when synthetic).
func requestApproval(ctx context.Context, hc *http.Client, baseURL string, who applicant, t station.DocumentType) (Approval, error) {
	body, err := json.Marshal(who.approvalRequest(t))
	if err != nil {
		return Approval{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(baseURL, "/")+"/admin/approvals", bytes.NewReader(body))
	if err != nil {
		return Approval{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := hc.Do(req)
	if err != nil {
		return Approval{}, fmt.Errorf("registry-sim: %w", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return Approval{}, fmt.Errorf("registry-sim: %w", err)
	}
	if res.StatusCode == http.StatusCreated {
		var a Approval
		if err := json.Unmarshal(b, &a); err != nil {
			return Approval{}, fmt.Errorf("registry-sim answer: %w", err)
		}
		return a, nil
	}
	var refusal struct {
		Error struct {
			Code      string `json:"code"`
			MessageEN string `json:"message_en"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &refusal) != nil || refusal.Error.Code == "" {
		return Approval{}, fmt.Errorf("registry-sim: %s", res.Status)
	}
	switch code := refusal.Error.Code; {
	case code == "person_not_found" && who.adult != nil:
		return Approval{}, fmt.Errorf("registry-sim has no resident with NIK %s or %s (check -nik and -parent; registry-sim's -seed and -people decide who exists)", who.nik, who.adult)
	case code == "person_not_found":
		return Approval{}, fmt.Errorf("registry-sim has no resident with NIK %s (registry-sim's -seed and -people decide who exists)", who.nik)
	case code == "not_eligible" && byParent(t) && who.nik != nil && who.adult == nil:
		return Approval{}, fmt.Errorf("registry-sim cannot make a "+t.Title()+" for NIK %s: %s (give the child's parent with -parent, and check that -nik is a child under 17)", who.nik, refusal.Error.MessageEN)
	case code == "not_eligible" && who.nik != nil:
		return Approval{}, fmt.Errorf("registry-sim cannot make a %s for NIK %s: %s", t.Title(), who.nik, refusal.Error.MessageEN)
	default:
		return Approval{}, fmt.Errorf("registry-sim: %s: %s (%s)", res.Status, refusal.Error.MessageEN, refusal.Error.Code)
	}
}

// parseVerifyQR: anjunganctl verify-qr TEXT — checks a scanned document
// QR offline against the published document key.
func parseVerifyQR(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	pub := fs.String("pub", "var/keys/document.pub", "the published document public key (PEM); repeat by comma for several")
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	text, err := object(fs, "QR text (quoted: base45 has spaces)", "", "")
	if err != nil {
		return nil, err
	}
	return func(context.Context) error {
		v := &docqr.Verifier{Keys: ticket.KeySet{}}
		for _, p := range strings.Split(*pub, ",") {
			k, err := ticket.LoadPublicKey(p)
			if err != nil {
				return err
			}
			v.Keys[ticket.KeyID(k)] = k
		}
		c, err := v.Verify(text)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "valid: signed by key %s\ndocument: %s\nnumber: %s\nname: %s\nissued: %s\ncontent sha256: %x\n",
			c.KeyID, c.Type.Title(), c.MaskedNumber(), c.Name, c.Issued, c.ContentHash)
		return nil
	}, nil
}
