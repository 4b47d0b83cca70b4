package ctl

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/anjungan/anjungan/station"
)

// Approval is registry-sim's answer to an admin request for a demo
// approval. The data is synthetic, so showing the NIK in full is fine.
type Approval struct {
	ApprovalID string   `json:"approval_id"`
	NIK        string   `json:"nik"`
	PIN        string   `json:"pin"`
	Ticket     string   `json:"ticket"`
	Documents  []string `json:"documents"`
	ExpiresAt  string   `json:"expires_at"`
}

// demoSets are the approvals `make run` shows: one of each registered
// document type and a visit that prints a card and a paper document.
func demoSets() [][]string {
	var sets [][]string
	for _, d := range station.DocumentTypes() {
		sets = append(sets, []string{string(d)})
	}
	return append(sets, []string{string(station.KTPEl), string(station.KK)})
}

func parseDemo(m *Main, fs *flag.FlagSet, args []string) (func(context.Context) error, error) {
	up := upstreamFlags(fs, "var")
	docs := fs.String("docs", "", "comma-separated document types ("+typeList()+"); empty means the demo set")
	qrDir := fs.String("qr-dir", "var/demo", "where to write each ticket as a QR PNG (empty: none)")
	if err := parseArgs(fs, args); err != nil {
		return nil, err
	}
	sets := demoSets()
	if *docs != "" {
		sets = [][]string{strings.Split(*docs, ",")}
	}
	return func(ctx context.Context) error {
		hc, err := up.client()
		if err != nil {
			return err
		}
		as, err := CreateApprovals(ctx, hc, up.url, sets)
		if err != nil {
			return err
		}
		return m.printApprovals(as, *qrDir)
	}, nil
}

// CreateApprovals asks registry-sim for one approval per set of documents.
func CreateApprovals(ctx context.Context, hc *http.Client, baseURL string, sets [][]string) ([]Approval, error) {
	var out []Approval
	for _, docs := range sets {
		body, _ := json.Marshal(map[string]any{"documents": docs})
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(baseURL, "/")+"/admin/approvals", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := hc.Do(req)
		if err != nil {
			return nil, fmt.Errorf("registry-sim: %w", err)
		}
		b, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		res.Body.Close()
		if err != nil {
			return nil, err
		}
		if res.StatusCode != http.StatusCreated {
			return nil, fmt.Errorf("registry-sim: %s: %s", res.Status, strings.TrimSpace(string(b)))
		}
		var a Approval
		if err := json.Unmarshal(b, &a); err != nil {
			return nil, fmt.Errorf("registry-sim answer: %w", err)
		}
		out = append(out, a)
	}
	return out, nil
}

func (m *Main) printApprovals(as []Approval, qrDir string) error {
	if qrDir != "" {
		if err := os.MkdirAll(qrDir, 0o755); err != nil {
			return err
		}
	}
	fmt.Fprintln(m.Stdout, "Demo approvals (synthetic people from registry-sim):")
	for i, a := range as {
		fmt.Fprintf(m.Stdout, "\n  %d. %s\n     NIK %s   PIN %s\n     ticket (paste into \"Pindai Tiket QR\"):\n     %s\n",
			i+1, strings.ToUpper(strings.Join(a.Documents, " + ")), a.NIK, a.PIN, a.Ticket)
		if qrDir != "" {
			p := filepath.Join(qrDir, a.ApprovalID+".png")
			if err := qrcode.WriteFile(a.Ticket, qrcode.Medium, 384, p); err != nil {
				return fmt.Errorf("ticket QR: %w", err)
			}
			fmt.Fprintf(m.Stdout, "     QR image: %s\n", p)
		}
	}
	fmt.Fprintln(m.Stdout)
	return nil
}
