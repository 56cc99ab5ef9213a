package routes

import (
	"maps"
	"slices"
	"time"
)

// Table is the route state. The zero value is not usable; call New.
type Table struct {
	topics   map[string]map[string]QueueData // topic → broker name → queues
	brokers  map[string]*BrokerData          // broker name → group
	clusters map[string]map[string]bool      // cluster → broker names
	live     map[string]*Live                // broker address → liveness
	filters  map[string][]string             // broker address → filter servers
}

// New returns an empty table.
func New() *Table {
	return &Table{
		topics:   map[string]map[string]QueueData{},
		brokers:  map[string]*BrokerData{},
		clusters: map[string]map[string]bool{},
		live:     map[string]*Live{},
		filters:  map[string][]string{},
	}
}

// Register records a broker's registration (Java registerBroker).
func (t *Table) Register(r Registration) RegisterResult {
	// An address is one broker. If it was registered under another broker
	// name (the broker was renamed and restarted), that entry goes now: its
	// liveness record is about to be overwritten, so nothing would ever
	// expire it. Java keeps it; we do not.
	for _, name := range slices.Sorted(maps.Keys(t.brokers)) {
		if name != r.BrokerName {
			t.detach(name, r.BrokerAddr)
		}
	}
	names := t.clusters[r.Cluster]
	if names == nil {
		names = map[string]bool{}
		t.clusters[r.Cluster] = names
	}
	names[r.BrokerName] = true

	first := false
	bd := t.brokers[r.BrokerName]
	if bd == nil {
		first = true
		bd = &BrokerData{Cluster: r.Cluster, BrokerName: r.BrokerName, Addrs: map[int64]string{}}
		t.brokers[r.BrokerName] = bd
	}
	// One address, one id: a slave promoted to master first disappears
	// from its old id.
	for id, addr := range bd.Addrs {
		if addr == r.BrokerAddr && id != r.BrokerID {
			delete(bd.Addrs, id)
		}
	}
	if _, had := bd.Addrs[r.BrokerID]; !had {
		first = true
	}
	bd.Addrs[r.BrokerID] = r.BrokerAddr

	if r.Topics != nil && r.BrokerID == MasterID {
		prev, known := t.live[r.BrokerAddr]
		if first || !known || prev.DataVersion != r.DataVersion {
			for _, name := range slices.Sorted(maps.Keys(r.Topics)) {
				t.putQueueData(r.BrokerName, name, r.Topics[name])
			}
		}
	}

	t.live[r.BrokerAddr] = &Live{
		Addr:         r.BrokerAddr,
		LastUpdate:   r.Now,
		DataVersion:  r.DataVersion,
		ConnID:       r.ConnID,
		HAServerAddr: r.HAServerAddr,
	}
	if r.FilterServers != nil {
		if len(r.FilterServers) == 0 {
			delete(t.filters, r.BrokerAddr)
		} else {
			t.filters[r.BrokerAddr] = slices.Clone(r.FilterServers)
		}
	}

	var res RegisterResult
	if r.BrokerID != MasterID {
		if master, ok := bd.Addrs[MasterID]; ok {
			if l, ok := t.live[master]; ok {
				res.HAServerAddr = l.HAServerAddr
				res.MasterAddr = master
			}
		}
	}
	return res
}

func (t *Table) putQueueData(brokerName, topic string, tc TopicConfig) {
	byBroker := t.topics[topic]
	if byBroker == nil {
		byBroker = map[string]QueueData{}
		t.topics[topic] = byBroker
	}
	byBroker[brokerName] = QueueData{
		BrokerName:     brokerName,
		ReadQueueNums:  tc.ReadQueueNums,
		WriteQueueNums: tc.WriteQueueNums,
		Perm:           tc.Perm,
		TopicSysFlag:   tc.TopicSysFlag,
	}
}

// Unregister removes a broker address (Java unregisterBroker). Java removes
// whatever sits under brokerName/brokerID and the address's liveness; a
// request whose name or id does not match the address would then leave a
// routed address that nothing expires. We take the address as the truth and
// remove it wherever it is.
func (t *Table) Unregister(addr string) {
	t.removeAddr(addr)
}

// removeAddr drops a dead broker address wherever it is (Java
// onChannelDestroy).
func (t *Table) removeAddr(addr string) {
	delete(t.live, addr)
	delete(t.filters, addr)
	for _, name := range slices.Sorted(maps.Keys(t.brokers)) {
		t.detach(name, addr)
	}
}

// detach removes addr from broker group name; a group left without
// addresses goes, with its cluster membership and its topics' queues.
func (t *Table) detach(name, addr string) {
	bd := t.brokers[name]
	found := false
	for id, a := range bd.Addrs {
		if a == addr {
			delete(bd.Addrs, id)
			found = true
		}
	}
	if !found || len(bd.Addrs) > 0 {
		return
	}
	delete(t.brokers, name)
	for cluster, names := range t.clusters {
		if names[name] {
			delete(names, name)
			if len(names) == 0 {
				delete(t.clusters, cluster)
			}
		}
	}
	t.removeTopicsOf(name)
}

func (t *Table) removeTopicsOf(brokerName string) {
	for topic, byBroker := range t.topics {
		delete(byBroker, brokerName)
		if len(byBroker) == 0 {
			delete(t.topics, topic)
		}
	}
}

// ConnClosed drops every broker address last registered over connection
// connID and returns them, sorted.
func (t *Table) ConnClosed(connID uint64) []string {
	var gone []string
	for _, addr := range slices.Sorted(maps.Keys(t.live)) {
		if t.live[addr].ConnID == connID {
			gone = append(gone, addr)
		}
	}
	for _, addr := range gone {
		t.removeAddr(addr)
	}
	return gone
}

// Expire drops brokers not heard from for longer than timeout, as of now
// (monotonic), and returns them with their connection ids, sorted by address.
func (t *Table) Expire(now, timeout time.Duration) []Live {
	var gone []Live
	for _, addr := range slices.Sorted(maps.Keys(t.live)) {
		if l := t.live[addr]; l.LastUpdate+timeout < now {
			gone = append(gone, *l)
		}
	}
	for _, l := range gone {
		t.removeAddr(l.Addr)
	}
	return gone
}

// Live returns the liveness record of a broker address.
func (t *Table) Live(addr string) (Live, bool) {
	l, ok := t.live[addr]
	if !ok {
		return Live{}, false
	}
	return *l, true
}

// Touch refreshes a live broker's last-update time (QUERY_DATA_VERSION with
// an unchanged version counts as a heartbeat).
func (t *Table) Touch(addr string, now time.Duration) {
	if l, ok := t.live[addr]; ok {
		l.LastUpdate = now
	}
}

// TopicConfigChanged reports whether v differs from what the broker last
// registered (true for an unknown broker).
func (t *Table) TopicConfigChanged(addr string, v DataVersion) bool {
	l, ok := t.live[addr]
	return !ok || l.DataVersion != v
}

// Route returns the route of topic; false when no broker serves it.
func (t *Table) Route(topic string) (TopicRoute, bool) {
	byBroker := t.topics[topic]
	if len(byBroker) == 0 {
		return TopicRoute{}, false
	}
	r := TopicRoute{FilterServerTable: map[string][]string{}}
	for _, name := range slices.Sorted(maps.Keys(byBroker)) {
		r.QueueDatas = append(r.QueueDatas, byBroker[name])
		bd := t.brokers[name]
		if bd == nil {
			continue
		}
		r.BrokerDatas = append(r.BrokerDatas, BrokerData{Cluster: bd.Cluster, BrokerName: bd.BrokerName, Addrs: maps.Clone(bd.Addrs)})
		for _, addr := range bd.Addrs {
			if fs, ok := t.filters[addr]; ok {
				r.FilterServerTable[addr] = slices.Clone(fs)
			}
		}
	}
	if len(r.BrokerDatas) == 0 {
		return TopicRoute{}, false
	}
	return r, true
}

// Topics returns every topic, sorted.
func (t *Table) Topics() []string { return slices.Sorted(maps.Keys(t.topics)) }

// TopicsByCluster returns the topics served by any broker of cluster, sorted.
func (t *Table) TopicsByCluster(cluster string) []string {
	names := t.clusters[cluster]
	var out []string
	for _, topic := range t.Topics() {
		for name := range t.topics[topic] {
			if names[name] {
				out = append(out, topic)
				break
			}
		}
	}
	return out
}

// TopicsWithSysFlag returns the topics whose first broker's (by name) queue
// data satisfies pick, sorted; Java's unit-topic queries look at one queue
// data per topic the same way.
func (t *Table) TopicsWithSysFlag(pick func(sysFlag int) bool) []string {
	var out []string
	for _, topic := range t.Topics() {
		byBroker := t.topics[topic]
		first := slices.Sorted(maps.Keys(byBroker))[0]
		if pick(byBroker[first].TopicSysFlag) {
			out = append(out, topic)
		}
	}
	return out
}

// SystemTopics returns Java's "system topic list": every cluster name and
// broker name (brokers auto-create topics named after both), sorted, and one
// broker address to ask, that of the first broker by name and lowest id.
func (t *Table) SystemTopics() (topics []string, brokerAddr string) {
	set := map[string]bool{}
	for cluster, names := range t.clusters {
		set[cluster] = true
		for n := range names {
			set[n] = true
		}
	}
	for _, name := range slices.Sorted(maps.Keys(t.brokers)) {
		bd := t.brokers[name]
		if len(bd.Addrs) > 0 {
			brokerAddr = bd.Addrs[slices.Min(slices.Collect(maps.Keys(bd.Addrs)))]
			break
		}
	}
	return slices.Sorted(maps.Keys(set)), brokerAddr
}

// DeleteTopic removes topic everywhere, or only from cluster's brokers when
// cluster is not empty.
func (t *Table) DeleteTopic(topic, cluster string) {
	if cluster == "" {
		delete(t.topics, topic)
		return
	}
	byBroker := t.topics[topic]
	for name := range t.clusters[cluster] {
		delete(byBroker, name)
	}
	if byBroker != nil && len(byBroker) == 0 {
		delete(t.topics, topic)
	}
}

// WipeWritePerm clears the write bit of every topic on brokerName and returns
// how many topics it touched.
func (t *Table) WipeWritePerm(brokerName string) int {
	return t.setPerm(brokerName, func(p int) int { return p &^ PermWrite })
}

// AddWritePerm restores read and write on every topic of brokerName.
func (t *Table) AddWritePerm(brokerName string) int {
	return t.setPerm(brokerName, func(int) int { return PermRead | PermWrite })
}

func (t *Table) setPerm(brokerName string, f func(int) int) int {
	n := 0
	for _, byBroker := range t.topics {
		if qd, ok := byBroker[brokerName]; ok {
			qd.Perm = f(qd.Perm)
			byBroker[brokerName] = qd
			n++
		}
	}
	return n
}

// ClusterInfo returns every broker group and cluster.
func (t *Table) ClusterInfo() ClusterInfo {
	ci := ClusterInfo{Clusters: map[string][]string{}}
	for _, name := range slices.Sorted(maps.Keys(t.brokers)) {
		bd := t.brokers[name]
		ci.Brokers = append(ci.Brokers, BrokerData{Cluster: bd.Cluster, BrokerName: bd.BrokerName, Addrs: maps.Clone(bd.Addrs)})
	}
	for cluster, names := range t.clusters {
		ci.Clusters[cluster] = slices.Sorted(maps.Keys(names))
	}
	return ci
}

// LiveBrokers returns the live broker addresses, sorted.
func (t *Table) LiveBrokers() []string { return slices.Sorted(maps.Keys(t.live)) }
