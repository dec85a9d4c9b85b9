// Package cli is trailwarden's command line: one kong struct per subcommand,
// each in its own file. main calls Main and exits with its code.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/alecthomas/kong"
)

// Version is set at build time with -ldflags "-X .../internal/cli.Version=v1.2.3".
var Version = "dev"

// Exit codes shared by the commands.
const (
	ExitOK       = 0
	ExitFindings = 1 // scan: a finding reached --fail-on; rules test: a failure
	ExitError    = 2 // bad input, bad rules, bad config
)

// exitError carries an exit code through kong.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// Globals are flags every command accepts.
type Globals struct {
	Config   string `short:"c" help:"Config file (YAML); empty for none." env:"TRAILWARDEN_CONFIG"`
	LogLevel string `help:"Log level: debug, info, warn, error." default:"warn" enum:"debug,info,warn,error"`

	stdout io.Writer
	stderr io.Writer
}

// CLI is the command tree.
type CLI struct {
	Globals

	Scan       ScanCmd       `cmd:"" help:"Scan CloudTrail logs (files, folders, - for stdin, s3://bucket/prefix) and report findings."`
	Rules      RulesCmd      `cmd:"" help:"List and test detection rules."`
	Gen        GenCmd        `cmd:"" help:"Write a realistic synthetic CloudTrail dataset in the AWS key layout."`
	Demo       DemoCmd       `cmd:"" help:"Generate a small dataset, scan it and show the findings."`
	Deadletter DeadletterCmd `cmd:"" name:"deadletter" help:"Inspect and replay the dead-letter file."`
	Coverage   CoverageCmd   `cmd:"" help:"Show which accounts and regions delivered events when, their silences and the unmonitored regions."`
	Download   DownloadCmd   `cmd:"" help:"Copy a trail's digests, logs and insights from S3 to a folder that verifies offline."`
	Reconcile  ReconcileCmd  `cmd:"" help:"Compare AWS snapshots (AWS CLI output) with the state derived from CloudTrail; record and report drift."`
	Verify     VerifyCmd     `cmd:"" help:"Validate CloudTrail log file integrity (digests, signatures, chains, log file hashes), as aws cloudtrail validate-logs."`
	Inventory  InventoryCmd  `cmd:"" help:"Resources as CloudTrail events left them: list, state at a time, history, who changed what (blame), diffs, tag reports."`
	Version    VersionCmd    `cmd:"" help:"Print the version."`
}

// Main runs the command line and returns the process exit code.
func Main(args []string) int { return run(args, os.Stdout, os.Stderr) }

func run(args []string, stdout, stderr io.Writer) int {
	var cli CLI
	cli.stdout, cli.stderr = stdout, stderr
	exitCode := -1
	parser, err := kong.New(&cli,
		kong.Name("trailwarden"),
		kong.Description("AWS CloudTrail security and governance engine: routed rules over CloudTrail logs, findings out."),
		kong.UsageOnError(),
		kong.ConfigureHelp(kong.HelpOptions{Compact: true}),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exitCode = code }),
	)
	if err != nil {
		fmt.Fprintln(stderr, "trailwarden:", err)
		return ExitError
	}
	ctx, err := parser.Parse(args)
	if exitCode >= 0 { // --help and the like
		return exitCode
	}
	if err != nil {
		fmt.Fprintln(stderr, "trailwarden:", err)
		return ExitError
	}
	err = ctx.Run(&cli.Globals)
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "trailwarden:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "trailwarden:", err)
	return ExitError
}

// VersionCmd prints the version.
type VersionCmd struct{}

// Run prints the version.
func (VersionCmd) Run(g *Globals) error {
	fmt.Fprintf(g.stdout, "trailwarden %s\n", Version)
	return nil
}
