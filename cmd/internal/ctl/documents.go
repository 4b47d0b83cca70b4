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
	"os"
	"path/filepath"
	"strings"

	"github.com/rs/zerolog"

	"github.com/anjungan/anjungan/station"
	"github.com/anjungan/anjungan/station/docqr"
	"github.com/anjungan/anjungan/station/registry"
	"github.com/anjungan/anjungan/station/render"
	"github.com/anjungan/anjungan/station/ticket"
	"github.com/anjungan/anjungan/templates"
)

// parseRender: anjunganctl render — renders a document to a PDF (and PNG
// previews) for people who adjust templates, from a sample file or from
// registry-sim.
func parseRender(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	doc := fs.String("doc", "ktp-el", "document type to fetch from registry-sim: ktp-el (or ktp), kia, kk")
	up := upstreamFlags(fs, "var")
	in := fs.String("in", "", "render this sample file instead (JSON: type, subject, fields, rows, images as file names beside it)")
	tmpl := fs.String("templates", "", "template folder (with fonts/); empty means the embedded templates")
	key := fs.String("key", "var/keys/document.key", "document signing key; when absent, a throw-away key signs the QR")
	out := fs.String("out", "document.pdf", "PDF to write")
	dpi := fs.Int("png", 0, "also write one PNG per page at this resolution (e.g. 150); 0: none")
	if err := fs.Parse(args); err != nil {
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
		return nil, fmt.Errorf("-doc %q: want ktp-el, kia or kk", *doc)
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
			d, err = fetchDocument(ctx, up, t)
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
		pngs, err := render.Preview(ctx, res.PDF, *dpi)
		if err != nil {
			return err
		}
		for i, p := range pngs {
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

// fetchDocument asks registry-sim for a new approval of one document,
// logs in with its PIN and fetches the document, as a kiosk would.
func fetchDocument(ctx context.Context, up *upstream, t station.DocumentType) (station.Document, error) {
	hc, err := up.client()
	if err != nil {
		return station.Document{}, err
	}
	as, err := CreateApprovals(ctx, hc, up.url, [][]string{{string(t)}})
	if err != nil {
		return station.Document{}, err
	}
	nik, err := station.ParseNIK(as[0].NIK)
	if err != nil {
		return station.Document{}, fmt.Errorf("registry-sim approval: %w", err)
	}
	c := registry.New(up.url, hc, zerolog.Nop())
	authz, err := c.AuthenticatePIN(ctx, nik, as[0].PIN)
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

// parseVerifyQR: anjunganctl verify-qr TEXT — checks a scanned document
// QR offline against the published document key.
func parseVerifyQR(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	pub := fs.String("pub", "var/keys/document.pub", "the published document public key (PEM); repeat by comma for several")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		return nil, errors.New("usage: anjunganctl verify-qr [-pub FILE] 'DQ1:…' (quote the text: base45 has spaces)")
	}
	text := fs.Arg(0)
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
