//go:build !unix

package graph

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }
