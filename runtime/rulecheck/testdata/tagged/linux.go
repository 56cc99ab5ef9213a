//go:build linux

package tagged

import "time"

// A platform-specific file is built somewhere, so it is checked.
func nap() { time.Sleep(1) }
