package config

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"rocketsim/properties"
)

// Bounds on values that RocketMQ leaves open but that make no sense beyond.
const (
	// MaxTopicQueueNums bounds defaultTopicQueueNums: every queue costs a
	// consume-queue directory and a share of every consumer's rebalance.
	MaxTopicQueueNums = 1024
	// registerPeriodMin/Max are RocketMQ's clamp of registerNameServerPeriod.
	registerPeriodMin = 10 * time.Second
	registerPeriodMax = 60 * time.Second
	// diskRatioMin/Max are RocketMQ's clamp of diskMaxUsedSpaceRatio.
	diskRatioMin = 10
	diskRatioMax = 95
)

// Host is what the broker learns from the machine it runs on: the defaults
// of brokerName (host name) and brokerIP1/2 (local address). Main packages
// ask the OS; the simulator passes the node's name and address.
type Host struct {
	Name string
	IP   string
}

// NamesrvFlag names the -n command-line override in error messages.
const NamesrvFlag = "-n flag"

// OverrideNamesrv sets namesrvAddr from the -n flag, which wins over the
// file, as mqbroker's does. An empty value changes nothing.
func OverrideNamesrv(p *properties.Props, addr string) {
	if addr != "" {
		p.SetFrom("namesrvAddr", addr, NamesrvFlag)
	}
}

// Load reads broker.conf at path; see LoadProps. For main packages.
func Load(path string, host Host) (*Config, []string, error) {
	p, err := properties.ParseFile(path)
	if err != nil {
		return nil, nil, err
	}
	return LoadProps(p, host)
}

// LoadMap builds a Config from key/value pairs that did not come from a
// file (a simulator scenario's broker section); source names them in
// messages. Keys are applied in sorted order, so the result and the
// warnings do not depend on map iteration.
func LoadMap(kv map[string]string, source string, host Host) (*Config, []string, error) {
	p := properties.New(source)
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p.SetFrom(k, kv[k], source+": "+k)
	}
	return LoadProps(p, host)
}

// LoadProps builds a Config from defaults, p and host, and validates it.
//
// It returns warnings for what it accepted but the user should see:
// unknown keys (likely typos; RocketMQ ignores them silently), known Java
// tuning keys that have no effect here, and values RocketMQ itself corrects
// (a master's brokerId forced to 0, ratios clamped). The error, when not nil,
// lists every bad value and every invalid setting, each naming file:line and
// key; no Config is returned then.
func LoadProps(p *properties.Props, host Host) (*Config, []string, error) {
	c := Defaults()
	var warnings []string
	var errs []error
	if err := properties.Bind(p, &c); err != nil {
		var be *properties.BindError
		if !errors.As(err, &be) {
			return nil, nil, err
		}
		var ignored []string
		for _, pr := range be.Unknown() {
			if javaOnlyKeys[pr.Key] {
				ignored = append(ignored, pr.Key)
				continue
			}
			warnings = append(warnings, pr.Error()+" (ignored)")
		}
		if len(ignored) > 0 {
			warnings = append(warnings, fmt.Sprintf("%s: keys that tune the Java broker only, ignored: %s", p.Name, strings.Join(ignored, ", ")))
		}
		for _, pr := range be.Bad() {
			errs = append(errs, pr)
		}
	}
	c.resolve(host)
	for _, fix := range c.normalize() {
		warnings = append(warnings, fmt.Sprintf("%s: key %s: %s", p.Where(fix.key), fix.key, fix.msg))
	}
	bads := c.check()
	// Report in file order, so the list reads top to bottom like the file;
	// settings that come from defaults or flags go last.
	line := func(key string) int {
		if e, ok := p.Lookup(key); ok && e.Line > 0 {
			return e.Line
		}
		return 1 << 30
	}
	sort.SliceStable(bads, func(i, j int) bool { return line(bads[i].key) < line(bads[j].key) })
	for _, bad := range bads {
		errs = append(errs, fmt.Errorf("%s: key %s: %s", p.Where(bad.key), bad.key, bad.msg))
	}
	if len(errs) > 0 {
		return nil, warnings, fmt.Errorf("broker config: %w", errors.Join(errs...))
	}
	return &c, warnings, nil
}

// Validate checks a Config built in code (the simulator does). It applies
// no defaults: call it after filling every field you rely on.
func (c *Config) Validate() error {
	var errs []error
	for _, bad := range c.check() {
		errs = append(errs, fmt.Errorf("key %s: %s", bad.key, bad.msg))
	}
	return errors.Join(errs...)
}

// HAPort is the port slaves connect to: haListenPort, or listenPort+1.
func (c *Config) HAPort() int {
	if c.HaListenPort != 0 || c.ListenPort == 0 {
		return c.HaListenPort
	}
	return c.ListenPort + 1
}

// ClientAddr is "brokerIP1:listenPort", what the broker registers.
func (c *Config) ClientAddr() string {
	return c.BrokerIP1 + ":" + strconv.Itoa(c.ListenPort)
}

// DeleteHours parses deleteWhen ("04" or "04;16") into hours of the day.
func (s *Store) DeleteHours() ([]int, error) {
	var hours []int
	for _, tok := range strings.Split(s.DeleteWhen, ";") {
		tok = strings.TrimSpace(tok)
		if tok == "" {
			continue
		}
		h, err := strconv.Atoi(tok)
		if err != nil || h < 0 || h > 23 {
			return nil, fmt.Errorf("hour %q: want 00 to 23, several separated by ';'", tok)
		}
		hours = append(hours, h)
	}
	if len(hours) == 0 {
		return nil, errors.New("no hour given")
	}
	sort.Ints(hours)
	return hours, nil
}

func (c *Config) resolve(h Host) {
	if c.BrokerName == "" {
		c.BrokerName = h.Name
	}
	if c.BrokerIP1 == "" {
		c.BrokerIP1 = h.IP
	}
	if c.BrokerIP2 == "" {
		c.BrokerIP2 = c.BrokerIP1
	}
}

type keyMsg struct{ key, msg string }

// normalize applies the corrections RocketMQ makes silently and says so.
func (c *Config) normalize() []keyMsg {
	var fixes []keyMsg
	if c.BrokerRole.IsMaster() && c.BrokerID != 0 {
		fixes = append(fixes, keyMsg{"brokerId", fmt.Sprintf("%d set to 0: a %s is always broker 0", c.BrokerID, c.BrokerRole)})
		c.BrokerID = 0
	}
	if c.DiskMaxUsedSpaceRatio < diskRatioMin || c.DiskMaxUsedSpaceRatio > diskRatioMax {
		v := min(max(c.DiskMaxUsedSpaceRatio, diskRatioMin), diskRatioMax)
		fixes = append(fixes, keyMsg{"diskMaxUsedSpaceRatio", fmt.Sprintf("%d clamped to %d (range %d..%d)", c.DiskMaxUsedSpaceRatio, v, diskRatioMin, diskRatioMax)})
		c.DiskMaxUsedSpaceRatio = v
	}
	if c.RegisterNameServerPeriod < registerPeriodMin || c.RegisterNameServerPeriod > registerPeriodMax {
		v := min(max(c.RegisterNameServerPeriod, registerPeriodMin), registerPeriodMax)
		fixes = append(fixes, keyMsg{"registerNameServerPeriod", fmt.Sprintf("%d ms clamped to %d ms", c.RegisterNameServerPeriod.Milliseconds(), v.Milliseconds())})
		c.RegisterNameServerPeriod = v
	}
	return fixes
}
