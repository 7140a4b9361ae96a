//go:build tools

// Package tools pins the FerretDB release that the dev and test database is
// built from. Nothing here is compiled into Warden; the Makefile builds
// FerretDB's own cmd/ferretdb from the module this file requires.
package tools

import _ "github.com/FerretDB/FerretDB/cmd/ferretdb"
