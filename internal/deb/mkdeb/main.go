// Command mkdeb builds anjungan_VERSION_amd64.deb from the built programs
// (`make deb`): mkdeb -describe "$(git describe --tags --always --dirty)"
// -bin DIR -out DIR [-doc FILE]…
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/anjungan/anjungan/internal/deb"
)

func main() {
	describe := flag.String("describe", "", "git describe --tags --always --dirty: the version")
	bin := flag.String("bin", "var/deb/bin", "folder of the built programs")
	out := flag.String("out", "var", "folder to write the package to")
	var docs []string
	flag.Func("doc", "a file for /usr/share/doc/anjungan (repeatable)", func(s string) error { docs = append(docs, s); return nil })
	flag.Parse()
	v, err := deb.Version(*describe)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkdeb:", err)
		os.Exit(2)
	}
	o := deb.Options{Version: v, Bin: *bin, Out: *out, Docs: map[string][]byte{}}
	for _, d := range docs {
		b, err := os.ReadFile(d)
		if err != nil {
			fmt.Fprintln(os.Stderr, "mkdeb:", err)
			os.Exit(1)
		}
		o.Docs[filepath.Base(d)] = b
	}
	p, err := deb.Build(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkdeb:", err)
		os.Exit(1)
	}
	fmt.Println(p)
}
