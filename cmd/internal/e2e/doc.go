// Package e2e holds the end-to-end tests of the whole station.
package e2e
