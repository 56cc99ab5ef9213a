package server

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"rocketsim/runtime"
)

// Config is the name server's configuration, bound from a RocketMQ-style
// properties file. Keys follow Java's NamesrvConfig and NettyServerConfig
// where Java has them; the liveness periods, fixed in Java 4.x, are keys
// here (5.x spells the scan period the same way).
type Config struct {
	// ListenPort is the port to serve on (Java NettyServerConfig.listenPort).
	ListenPort int `prop:"listenPort"`
	// BindAddress is the host to listen on; in the simulator it is the
	// node's own host.
	BindAddress string `prop:"bindAddress"`
	// KVConfigPath is the KV config file, relative to the data directory.
	KVConfigPath string `prop:"kvConfigPath"`
	// OrderMessageEnable serves ORDER_TOPIC_CONFIG entries as routes'
	// orderTopicConf (Java NamesrvConfig.orderMessageEnable).
	OrderMessageEnable bool `prop:"orderMessageEnable"`
	// ScanNotActiveBrokerInterval is how often the broker table is scanned
	// for silent brokers.
	ScanNotActiveBrokerInterval time.Duration `prop:"scanNotActiveBrokerInterval"`
	// BrokerChannelExpiredTime is how long a broker may stay silent before it
	// is dropped (Java BROKER_CHANNEL_EXPIRED_TIME, 120 s).
	BrokerChannelExpiredTime time.Duration `prop:"brokerChannelExpiredTime"`
	// ServerChannelMaxIdleTime closes a connection with no traffic either
	// way for this long (Java NettyServerConfig.serverChannelMaxIdleTimeSeconds,
	// 120 s; here in milliseconds or a Go duration). Brokers register every
	// 30 s and clients refresh routes every 30 s, so only dead peers and
	// forgotten sockets are closed; a broker's close drops it from the table.
	ServerChannelMaxIdleTime time.Duration `prop:"serverChannelMaxIdleTime"`
	// FrameMaxLength bounds one remoting frame in bytes (Java's
	// com.rocketmq.remoting.frameMaxLength).
	FrameMaxLength int `prop:"frameMaxLength"`
}

// DefaultConfig returns Java's defaults.
func DefaultConfig() Config {
	return Config{
		ListenPort:                  9876,
		BindAddress:                 "0.0.0.0",
		KVConfigPath:                "namesrv/kvConfig.json",
		ScanNotActiveBrokerInterval: 10 * time.Second,
		BrokerChannelExpiredTime:    120 * time.Second,
		ServerChannelMaxIdleTime:    120 * time.Second,
		FrameMaxLength:              runtime.MaxFrameSizeDefault,
	}
}

// Validate reports a value that cannot work.
func (c Config) Validate() error {
	if c.ListenPort < 0 || c.ListenPort > 65535 {
		return fmt.Errorf("listenPort %d out of [0, 65535]", c.ListenPort)
	}
	if c.ScanNotActiveBrokerInterval <= 0 {
		return fmt.Errorf("scanNotActiveBrokerInterval %v must be positive", c.ScanNotActiveBrokerInterval)
	}
	if c.BrokerChannelExpiredTime <= 0 {
		return fmt.Errorf("brokerChannelExpiredTime %v must be positive", c.BrokerChannelExpiredTime)
	}
	if c.ServerChannelMaxIdleTime <= 0 {
		return fmt.Errorf("serverChannelMaxIdleTime %v must be positive", c.ServerChannelMaxIdleTime)
	}
	if c.FrameMaxLength < 1024 {
		return fmt.Errorf("frameMaxLength %d below 1024", c.FrameMaxLength)
	}
	if c.KVConfigPath == "" {
		return fmt.Errorf("kvConfigPath is empty")
	}
	return nil
}

// ListenAddr is "bindAddress:listenPort".
func (c Config) ListenAddr() string {
	host := c.BindAddress
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + strconv.Itoa(c.ListenPort)
}
