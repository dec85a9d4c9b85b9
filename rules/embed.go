// Package rules embeds trailwarden's built-in rule packs: one YAML file per
// topic, each rule with its own test events. See docs/rules.md for the format.
package rules

import "embed"

// FS holds the built-in rule files.
//
//go:embed *.yaml
var FS embed.FS
