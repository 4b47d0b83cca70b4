package http

// ConsoleTexts is consoleTexts for the tests.
var ConsoleTexts = consoleTexts
