// Command trailwarden is the AWS CloudTrail security and governance engine.
package main

import (
	"os"

	"github.com/trailwarden/trailwarden/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
