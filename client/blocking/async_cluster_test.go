package blocking_test

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/client"
	"rocketsim/client/blocking"
	"rocketsim/client/producer"
)

// Many SendAsync calls from several goroutines against a real broker: each
// callback runs exactly once, with a distinct message id, and none runs
// while another does (the runner calls them one at a time).
func TestSendAsyncManyCallbacksOnceEach(t *testing.T) {
	nsAddr := startCluster(t)
	p := blocking.NewProducer(producer.Options{Group: "pmany", NameServers: []string{nsAddr}}, nil)
	require.NoError(t, p.Start())
	defer p.Shutdown()
	const senders, each = 4, 250
	var (
		mu      sync.Mutex
		ids     = map[string]int{}
		running atomic.Int32
		overlap atomic.Bool
		wg      sync.WaitGroup
	)
	wg.Add(senders * each)
	for s := 0; s < senders; s++ {
		go func() {
			for i := 0; i < each; i++ {
				msg := client.NewMessage("Many", []byte(strconv.Itoa(s*each+i)))
				err := p.SendAsync(msg, func(r *producer.SendResult, err error) {
					defer wg.Done()
					if running.Add(1) > 1 {
						overlap.Store(true)
					}
					defer running.Add(-1)
					mu.Lock()
					defer mu.Unlock()
					if err != nil {
						ids["error: "+err.Error()]++
						return
					}
					ids[r.MsgID]++
				})
				if err != nil {
					wg.Done()
					mu.Lock()
					ids["refused: "+err.Error()]++
					mu.Unlock()
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("not every callback ran")
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, ids, senders*each, "one distinct id per send, no errors")
	for id, n := range ids {
		require.Equal(t, 1, n, "callback for %s ran %d times", id, n)
	}
	require.False(t, overlap.Load(), "two callbacks ran at once")
}
