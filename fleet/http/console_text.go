package http

import "github.com/anjungan/anjungan/internal/i18n"

// consoleTables are the console's words, console/i18n/<lang>.json: every
// key in both languages (i18n.Load checks; TestConsoleTexts holds the
// keys the pages build from domain values).
var consoleTables = i18n.MustLoad(consoleFiles, "console/i18n")

// consoleTexts returns the console's words in lang ("id" or "en"; Bahasa
// Indonesia for any other).
func consoleTexts(lang string) map[string]string { return consoleTables.Lang(lang) }
