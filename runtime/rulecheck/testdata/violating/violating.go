// Package violating plants one violation of every rule. Each offending line
// ends with a "want" comment naming the rule; rulecheck_test.go reads them.
package violating

import (
	"context"

	crand "crypto/rand"
	"github.com/apache/rocketmq-client-go/v2/primitive" // want import
	"github.com/google/uuid"
	"hash/maphash"
	"math/rand"
	mrand "math/rand/v2"
	"net"
	_ "net/http/pprof" // want net
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
	. "time" // want time
)

func clock() time.Duration {
	start := time.Now()                         // want time
	time.Sleep(time.Millisecond)                // want time
	<-time.After(time.Second)                   // want time
	t := time.AfterFunc(time.Second, func() {}) // want time
	t.Stop()
	_ = time.NewTimer(1)  // want time
	_ = time.NewTicker(1) // want time
	_ = time.Tick(1)      // want time
	_ = time.Until(start) // want time
	now := time.Now       // want time
	_ = now
	return time.Since(start) // want time
}

func files() {
	f, _ := os.Open("x") // want os
	f.Close()
	_ = os.Getenv("HOME") // want os
	_ = filepath.Join("a", "b")
	_ = filepath.Walk // want os
}

func sockets() {
	_, _ = net.Dial("tcp", "x:1") // want net
	_, _ = url.Parse("http://x")
	_, _, _ = net.SplitHostPort(net.JoinHostPort("127.0.0.1", "9876"))
	_ = net.ParseIP("10.0.0.1").To4()
	_, _ = net.LookupHost("example.org") // want net
}

func randomness(r *rand.Rand, v2 *mrand.Rand) {
	b := make([]byte, 8)
	crand.Read(b)       // want crypto-rand
	_ = rand.Intn(3)    // want global-rand
	_ = mrand.N(10)     // want global-rand
	_ = mrand.Float64() // want global-rand
	_ = r.Intn(3)
	_ = v2.IntN(3)
	_ = mrand.New(mrand.NewPCG(1, 2))
	_ = rand.New(rand.NewSource(1))
	_ = syscall.Getpid() // want syscall
	var h maphash.Hash   // want global-rand
	_ = h
	_ = maphash.MakeSeed() // want global-rand
	_ = time.Local         // want time
}

func concurrency() {
	go func() {}()        // want go
	var wg sync.WaitGroup // want go
	var mu sync.Mutex
	mu.Lock()
	mu.Unlock()
	_ = wg
	select {}
}

// shadow uses locals named like forbidden imports: not package references.
func shadow() {
	os := struct{ Exit func(int) }{}
	os.Exit(1)
	time := struct{ Now func() }{}
	time.Now()
}
