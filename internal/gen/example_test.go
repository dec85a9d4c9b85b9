package gen_test

import (
	"context"
	"fmt"
	"os"

	"github.com/trailwarden/trailwarden/internal/gen"
)

func ExampleGenerate() {
	dir, err := os.MkdirTemp("", "trail")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	st, err := gen.Generate(context.Background(), gen.Options{Events: 2000, Seed: 1, Out: dir})
	if err != nil {
		panic(err)
	}
	fmt.Println(st.Events, "events in", st.Files, "files,", st.Attacks, "from attacks")
	fmt.Println("stop logging:", st.ByScenario["cloudtrail-stop-logging"])
	// Output:
	// 2000 events in 28 files, 65 from attacks
	// stop logging: 3
}
