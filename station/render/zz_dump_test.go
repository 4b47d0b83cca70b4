package render

import (
	"os"
	"testing"
)

func TestZZDump(t *testing.T) {
	r := MustNewRenderer(t)
	for _, s := range []string{"ktp-el-long-name", "bounds-kia", "kia-under-five"} {
		out := MustRender(t, r, MustLoadSample(t, s))
		os.WriteFile("/tmp/d3-"+s+".pdf", out.PDF, 0o644)
	}
}
