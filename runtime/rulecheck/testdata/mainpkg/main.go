package main

import (
	"os"
	"time"
)

// A main package touches the real world by design: never reported.
func main() {
	go func() {}()
	time.Sleep(time.Second)
	os.Exit(0)
}
