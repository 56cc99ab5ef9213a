package server

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"rocketsim/broker/offset"
	"rocketsim/broker/schedule"
	"rocketsim/broker/subscription"
	"rocketsim/broker/topic"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

// Java's SlaveSynchronize: a slave copies its master's topic table,
// consumer offsets, subscription groups and delay offsets, 3 s after start and every
// 10 s (4.9's handleSlaveSynchronize; 4.0-4.8 waited 10 s, then 60 s),
// with the admin requests any tool uses. Consumers that fall back to the
// slave while the master is down then find their topics (the slave
// registers them at once) and resume near their committed offsets. A
// topic created since the last copy is not in the slave's route.
const (
	slaveSyncFirst  = 3 * time.Second
	slaveSyncPeriod = 10 * time.Second
	// slaveSyncTimeout bounds each request (Java: 3 s).
	slaveSyncTimeout = 3 * time.Second
)

// slaveSync is the slave's copy job.
type slaveSync struct {
	masterAddr string // the master's client address (name server's masterAddr)
	timer      runtime.Timer
	// ask re-registers while the master's HA address is unknown (ha.go).
	ask runtime.Timer
	// Rounds counts finished copies of each table, for tests.
	Rounds map[string]int
}

func (b *Broker) startSlaveSync() {
	b.slave.Rounds = map[string]int{}
	b.slave.timer = b.rt.AfterFunc(slaveSyncFirst, b.syncFromMaster)
}

func (b *Broker) stopSlaveSync() {
	for _, t := range []*runtime.Timer{&b.slave.timer, &b.slave.ask} {
		if *t != nil {
			(*t).Stop()
			*t = nil
		}
	}
}

// setMasterAddr records the master's client address, learned from the
// name server's register answer.
func (b *Broker) setMasterAddr(addr string) {
	if addr != "" && addr != b.slave.masterAddr {
		b.log.Info("master address learned", slog.String("master", addr))
		b.slave.masterAddr = addr
		// Copy at once: a master that dies before the next period would
		// leave its slave without the topics consumers need from it.
		b.stopSlaveSync()
		b.slave.timer = b.rt.AfterFunc(0, b.syncFromMaster)
	}
}

// SlaveSyncRounds reports how many copies of each table a slave finished
// ("topics", "offsets", "groups", "delay").
func (b *Broker) SlaveSyncRounds() map[string]int { return maps.Clone(b.slave.Rounds) }

func (b *Broker) syncFromMaster() {
	if b.stopped {
		return
	}
	b.slave.timer = b.rt.AfterFunc(slaveSyncPeriod, b.syncFromMaster)
	addr := b.slave.masterAddr
	if addr == "" {
		return
	}
	c := b.ep.ConnTo(addr)
	ask := func(name string, code int16, apply func([]byte) error) {
		err := b.ep.Invoke(c, remoting.NewRequest(code, nil), slaveSyncTimeout, func(resp *remoting.Command, err error) {
			if err == nil && resp.Code != remoting.RespSuccess {
				err = fmt.Errorf("%s: %s", remoting.ResponseName(resp.Code), resp.Remark)
			}
			if err == nil {
				err = apply(resp.Body)
			}
			if err != nil {
				b.log.Warn("slave sync failed", slog.String("table", name), slog.String("master", addr), slog.Any("err", err))
				return
			}
			b.slave.Rounds[name]++
		})
		if err != nil {
			b.log.Warn("slave sync failed", slog.String("table", name), slog.String("master", addr), slog.Any("err", err))
		}
	}
	ask("topics", remoting.ReqGetAllTopicConfig, b.applyMasterTopics)
	ask("offsets", remoting.ReqGetAllConsumerOffset, b.applyMasterOffsets)
	ask("groups", remoting.ReqGetAllSubscriptionGroupConfig, b.applyMasterGroups)
	// A slave delivers no delayed message, but keeps its master's progress
	// so that, restarted as master (4.x's manual failover), it resumes
	// there.
	ask("delay", remoting.ReqGetAllDelayOffset, b.applyMasterDelayOffsets)
}

// applyMasterDelayOffsets adopts the master's delayOffset.json.
func (b *Broker) applyMasterDelayOffsets(body []byte) error {
	table, err := schedule.DecodeOffsets(body)
	if err != nil {
		return err
	}
	return b.sched.Adopt(table)
}

// applyMasterTopics takes every topic whose configuration differs, and
// drops the topics the master no longer has (but its own system topics).
func (b *Broker) applyMasterTopics(body []byte) error {
	var w struct {
		TopicConfigTable map[string]topic.Config `json:"topicConfigTable"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return fmt.Errorf("topic table: %w", err)
	}
	changed := false
	for _, name := range slices.Sorted(maps.Keys(w.TopicConfigTable)) {
		c := w.TopicConfigTable[name]
		if c.TopicName == "" {
			c.TopicName = name
		}
		if old, ok := b.topics.Get(name); ok && old == c {
			continue
		}
		if err := b.topics.Update(c); err != nil {
			b.log.Warn("slave sync: master's topic refused", slog.String("topic", name), slog.Any("err", err))
			continue
		}
		changed = true
	}
	// Java replaces the whole table; we keep our own system topics.
	for _, name := range b.topics.Names() {
		if _, ok := w.TopicConfigTable[name]; ok || b.topics.IsSystem(name) {
			continue
		}
		if _, err := b.topics.Delete(name); err != nil {
			b.log.Warn("slave sync: dropping a topic the master no longer has", slog.String("topic", name), slog.Any("err", err))
			continue
		}
		changed = true
	}
	if changed {
		b.topicsChanged()
	}
	return nil
}

// applyMasterGroups takes every subscription group whose configuration
// differs, and drops the groups the master no longer has.
func (b *Broker) applyMasterGroups(body []byte) error {
	var w struct {
		SubscriptionGroupTable map[string]subscription.Group `json:"subscriptionGroupTable"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return fmt.Errorf("subscription group table: %w", err)
	}
	for _, name := range slices.Sorted(maps.Keys(w.SubscriptionGroupTable)) {
		g := w.SubscriptionGroupTable[name]
		if g.GroupName == "" {
			g.GroupName = name
		}
		if old, ok := b.groups.Get(name); ok && groupEqual(old, g) {
			continue
		}
		if err := b.groups.Update(g); err != nil {
			b.log.Warn("slave sync: master's group refused", slog.String("group", name), slog.Any("err", err))
		}
	}
	// Java replaces the whole table.
	for _, name := range b.groups.Names() {
		if _, ok := w.SubscriptionGroupTable[name]; ok {
			continue
		}
		if _, err := b.groups.Delete(name); err != nil {
			b.log.Warn("slave sync: dropping a group the master no longer has", slog.String("group", name), slog.Any("err", err))
		}
	}
	return nil
}

func groupEqual(a, b subscription.Group) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// bareKey matches fastjson's unquoted integer keys ({0:12}).
var bareKey = regexp.MustCompile(`([{,])(-?\d+):`)

// applyMasterOffsets overwrites the slave's consumer offsets with the
// master's (Java putAll).
func (b *Broker) applyMasterOffsets(body []byte) error {
	var w struct {
		OffsetTable map[string]map[string]int64 `json:"offsetTable"`
	}
	if err := json.Unmarshal(bareKey.ReplaceAll(body, []byte(`$1"$2":`)), &w); err != nil {
		return fmt.Errorf("consumer offsets: %w", err)
	}
	for _, k := range slices.Sorted(maps.Keys(w.OffsetTable)) {
		topicName, group, ok := strings.Cut(k, offset.Separator)
		if !ok {
			return fmt.Errorf("consumer offsets: key %q is not topic@group", k)
		}
		qs := w.OffsetTable[k]
		for _, q := range slices.Sorted(maps.Keys(qs)) {
			id, err := strconv.ParseInt(q, 10, 32)
			if err != nil || id < 0 {
				return fmt.Errorf("consumer offsets: %s: queue id %q", k, q)
			}
			b.offsets.Commit(group, topicName, int32(id), qs[q])
		}
	}
	return nil
}
