package pingpong

import (
	"fmt"
	"time"
)

// Config is the workload's parameters, as written under `workload.params` in
// a scenario file.
type Config struct {
	// Port is where the server listens, on its node's host.
	Port int `yaml:"port"`
	// Interval is how often a client tries to send its next request.
	Interval time.Duration `yaml:"interval"`
	// Timeout bounds the wait for one acknowledgement. A request that times
	// out is recorded as unknown and its connection is dropped: TCP-like
	// connections deliver in order, so one stall means the rest are stuck.
	Timeout time.Duration `yaml:"timeout"`
	// Window bounds the requests a client has in flight.
	Window int `yaml:"window"`
	// Payload is the size in bytes of each request's body.
	Payload int `yaml:"payload"`
	// Redial is how long a client waits before dialling again after a
	// connection failed.
	Redial time.Duration `yaml:"redial"`
	// Flush is the server's durability mode, named after RocketMQ's
	// flushDiskType: "sync" acknowledges after the fsync that covers the
	// request; "async" acknowledges once the request is in the page cache
	// and fsyncs every FlushInterval, so a power loss may lose the
	// acknowledged tail.
	Flush string `yaml:"flush"`
	// FlushInterval is the async mode's fsync period.
	FlushInterval time.Duration `yaml:"flush-interval"`
}

// Flush modes.
const (
	FlushSync  = "sync"
	FlushAsync = "async"
)

// Defaults and bounds of Config.
const (
	PortDefault     = 7000
	IntervalDefault = 50 * time.Millisecond
	TimeoutDefault  = time.Second
	WindowDefault   = 4
	PayloadDefault  = 32
	RedialDefault   = 200 * time.Millisecond
	// FlushIntervalDefault is RocketMQ's flushIntervalCommitLog.
	FlushIntervalDefault = 500 * time.Millisecond

	// WindowMax bounds the in-flight requests per client, so a client's
	// pending table and timers stay small.
	WindowMax = 1024
	// PayloadMax keeps one request far below the runtime's frame bound.
	PayloadMax = 1 << 20
)

// WithDefaults fills zero fields with their defaults.
func (c Config) WithDefaults() Config {
	if c.Port == 0 {
		c.Port = PortDefault
	}
	if c.Interval == 0 {
		c.Interval = IntervalDefault
	}
	if c.Timeout == 0 {
		c.Timeout = TimeoutDefault
	}
	if c.Window == 0 {
		c.Window = WindowDefault
	}
	if c.Payload == 0 {
		c.Payload = PayloadDefault
	}
	if c.Redial == 0 {
		c.Redial = RedialDefault
	}
	if c.Flush == "" {
		c.Flush = FlushSync
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = FlushIntervalDefault
	}
	return c
}

// Validate checks a Config after WithDefaults.
func (c Config) Validate() error {
	switch {
	case c.Port <= 0 || c.Port > 65535:
		return fmt.Errorf("port %d outside 1..65535", c.Port)
	case c.Interval <= 0:
		return fmt.Errorf("interval %v must be positive", c.Interval)
	case c.Timeout <= 0:
		return fmt.Errorf("timeout %v must be positive", c.Timeout)
	case c.Window <= 0 || c.Window > WindowMax:
		return fmt.Errorf("window %d outside 1..%d", c.Window, WindowMax)
	case c.Payload < 0 || c.Payload > PayloadMax:
		return fmt.Errorf("payload %d outside 0..%d", c.Payload, PayloadMax)
	case c.Redial <= 0:
		return fmt.Errorf("redial %v must be positive", c.Redial)
	case c.Flush != FlushSync && c.Flush != FlushAsync:
		return fmt.Errorf("flush %q: want %s or %s", c.Flush, FlushSync, FlushAsync)
	case c.FlushInterval <= 0:
		return fmt.Errorf("flush-interval %v must be positive", c.FlushInterval)
	}
	return nil
}
