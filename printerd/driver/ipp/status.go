package ipp

import (
	"strconv"
	"strings"

	"github.com/OpenPrinting/goipp"

	"github.com/anjungan/anjungan/printerd"
)

// blocking are the reasons that stop a kiosk printer whatever severity
// the printer gives them. A kiosk printer holds one media: an empty tray,
// an open cover or a jam means nothing prints. ippeveprinter (and some
// printers) report these as -report or -warning while the job waits,
// so the driver raises them to error: the printer is then stopped.
var blocking = map[string]bool{
	"media-empty": true, "media-needed": true, "media-jam": true, "cover-open": true, "door-open": true,
	"marker-supply-empty": true, "toner-empty": true, "output-area-full": true, "input-tray-missing": true,
	printerd.ReasonOffline: true,
}

// DecodeStatus reads printer-state, printer-state-reasons (severity
// suffixes split off), printer-supply (octetString, decoded as text) and
// printer-input-tray into a Status; blocking reasons are errors. printer-input-tray entries become
// supplies of kind input-tray: Status has no trays of its own yet.
func DecodeStatus(attrs goipp.Attributes) printerd.Status {
	st := printerd.Status{State: printerd.PrinterIdle}
	var descs []string
	for _, a := range attrs {
		switch a.Name {
		case "printer-state":
			if len(a.Values) > 0 {
				if v, ok := a.Values[0].V.(goipp.Integer); ok {
					switch v {
					case 4:
						st.State = printerd.PrinterProcessing
					case 5:
						st.State = printerd.PrinterStopped
					}
				}
			}
		case "printer-state-reasons":
			for _, v := range a.Values {
				if s := v.V.String(); s != "none" && s != "" {
					st.Reasons = append(st.Reasons, printerd.ParseReason(s))
				}
			}
		case "printer-state-message":
			if len(a.Values) > 0 {
				st.VendorCode = clip(a.Values[0].V.String())
			}
		case "printer-supply-description":
			for _, v := range a.Values {
				descs = append(descs, v.V.String())
			}
		}
	}
	for _, a := range attrs {
		switch a.Name {
		case "printer-supply":
			for i, v := range a.Values {
				s := supply(keyValues(v.V))
				if s.Name == "" && i < len(descs) {
					s.Name = descs[i]
				}
				if s.Name == "" {
					s.Name = s.Kind
				}
				st.Supplies = append(st.Supplies, s)
			}
		case "printer-input-tray":
			for _, v := range a.Values {
				kv := keyValues(v.V)
				s := printerd.Supply{Name: kv["name"], Kind: "input-tray", Unit: "sheets"}
				s.Level, _ = strconv.Atoi(kv["level"])
				s.Max, _ = strconv.Atoi(kv["maxcapacity"])
				if s.Name == "" {
					s.Name = "tray"
				}
				st.Supplies = append(st.Supplies, bounded(s))
			}
		}
	}
	for i, r := range st.Reasons {
		if blocking[r.Keyword] {
			st.Reasons[i].Severity = printerd.SeverityError
		}
	}
	for _, r := range st.Reasons {
		if r.Severity == printerd.SeverityError && st.State == printerd.PrinterIdle {
			st.State = printerd.PrinterStopped
		}
	}
	return st
}

// keyValues splits "type=toner;maxcapacity=100;level=40;" (PWG 5100.13).
// goipp decodes the octetString as binary; its bytes are this text.
func keyValues(v goipp.Value) map[string]string {
	var s string
	if b, ok := v.(goipp.Binary); ok {
		s = string(b)
	} else {
		s = v.String()
	}
	out := map[string]string{}
	for _, f := range strings.Split(s, ";") {
		if k, val, ok := strings.Cut(f, "="); ok && len(out) < 32 {
			out[strings.TrimSpace(k)] = clip(val)
		}
	}
	return out
}

func supply(kv map[string]string) printerd.Supply {
	s := printerd.Supply{Kind: kv["type"], Name: kv["name"], Max: 100, Unit: "percent"}
	if s.Kind == "" {
		s.Kind = "other"
	}
	if v, err := strconv.Atoi(kv["maxcapacity"]); err == nil && v > 0 {
		s.Max = v
	}
	if kv["unit"] != "" && kv["unit"] != "percent" {
		s.Unit = kv["unit"]
	}
	s.Level, _ = strconv.Atoi(kv["level"])
	return bounded(s)
}

// bounded keeps level within [0, max] when both are known; IPP uses
// negative levels for "unknown".
func bounded(s printerd.Supply) printerd.Supply {
	if s.Max > 0 && s.Level > s.Max {
		s.Level = s.Max
	}
	if s.Unit == "" {
		s.Unit = "units"
	}
	return s
}
