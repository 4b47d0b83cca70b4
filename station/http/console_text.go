package http

import "github.com/anjungan/anjungan/internal/i18n"

// texts returns the console's words in lang ("id" or "en"). Bahasa
// Indonesia comes first; every key exists in both (see the test).
// The maps are built once and shared: callers only read them.
func texts(lang string) map[string]string {
	if lang == "en" {
		return textsEN
	}
	return textsID
}

// textsID and textsEN are console/i18n/<lang>.json (i18n.Load checks that
// every key is in both languages) with the keyword table (console_words.go).
var textsID, textsEN = consoleTexts()

func consoleTexts() (id, en map[string]string) {
	t := i18n.MustLoad(consoleFS, "console/i18n")
	return addWords(t["id"], "id"), addWords(t["en"], "en")
}
