package wire

import (
	"maps"
	"slices"

	"rocketsim/namesrv/routes"
)

// EncodeTopicRoute writes route as TopicRouteData JSON. standard quotes the
// integer broker-id keys, as Java's name server does for requests of version
// V4_9_4 and later or with acceptStandardJsonOnly.
func EncodeTopicRoute(r routes.TopicRoute, standard bool) []byte {
	var w writer
	w.raw(`{"brokerDatas":[`)
	for i, bd := range r.BrokerDatas {
		if i > 0 {
			w.raw(",")
		}
		writeBrokerData(&w, bd, standard)
	}
	w.raw(`],"filterServerTable":{`)
	for i, addr := range slices.Sorted(maps.Keys(r.FilterServerTable)) {
		if i > 0 {
			w.raw(",")
		}
		w.str(addr)
		w.raw(":")
		w.strings(r.FilterServerTable[addr])
	}
	w.raw("}")
	if r.OrderTopicConf != "" {
		w.raw(`,"orderTopicConf":`)
		w.str(r.OrderTopicConf)
	}
	w.raw(`,"queueDatas":[`)
	for i, qd := range r.QueueDatas {
		if i > 0 {
			w.raw(",")
		}
		w.raw(`{"brokerName":`)
		w.str(qd.BrokerName)
		w.raw(`,"perm":`)
		w.int(int64(qd.Perm))
		w.raw(`,"readQueueNums":`)
		w.int(int64(qd.ReadQueueNums))
		w.raw(`,"topicSysFlag":`)
		w.int(int64(qd.TopicSysFlag))
		w.raw(`,"writeQueueNums":`)
		w.int(int64(qd.WriteQueueNums))
		w.raw("}")
	}
	w.raw("]}")
	return w.b
}

func writeBrokerData(w *writer, bd routes.BrokerData, standard bool) {
	w.raw(`{"brokerAddrs":`)
	w.idMap(bd.Addrs, standard)
	w.raw(`,"brokerName":`)
	w.str(bd.BrokerName)
	w.raw(`,"cluster":`)
	w.str(bd.Cluster)
	w.raw("}")
}

type brokerDataJSON struct {
	Cluster     string            `json:"cluster"`
	BrokerName  string            `json:"brokerName"`
	BrokerAddrs map[string]string `json:"brokerAddrs"`
}

func (b brokerDataJSON) decode(what string) (routes.BrokerData, error) {
	addrs, err := parseIDMap(b.BrokerAddrs, what)
	if err != nil {
		return routes.BrokerData{}, err
	}
	return routes.BrokerData{Cluster: b.Cluster, BrokerName: b.BrokerName, Addrs: addrs}, nil
}

// DecodeTopicRoute parses TopicRouteData JSON in either key form.
func DecodeTopicRoute(data []byte) (routes.TopicRoute, error) {
	var v struct {
		OrderTopicConf string `json:"orderTopicConf"`
		QueueDatas     []struct {
			BrokerName     string `json:"brokerName"`
			ReadQueueNums  int    `json:"readQueueNums"`
			WriteQueueNums int    `json:"writeQueueNums"`
			Perm           int    `json:"perm"`
			TopicSysFlag   int    `json:"topicSysFlag"`
		} `json:"queueDatas"`
		BrokerDatas       []brokerDataJSON    `json:"brokerDatas"`
		FilterServerTable map[string][]string `json:"filterServerTable"`
	}
	if err := unmarshal(data, &v, "topic route"); err != nil {
		return routes.TopicRoute{}, err
	}
	r := routes.TopicRoute{OrderTopicConf: v.OrderTopicConf, FilterServerTable: v.FilterServerTable}
	if r.FilterServerTable == nil {
		r.FilterServerTable = map[string][]string{}
	}
	for _, q := range v.QueueDatas {
		r.QueueDatas = append(r.QueueDatas, routes.QueueData(q))
	}
	for _, b := range v.BrokerDatas {
		bd, err := b.decode("topic route")
		if err != nil {
			return routes.TopicRoute{}, err
		}
		r.BrokerDatas = append(r.BrokerDatas, bd)
	}
	return r, nil
}

// EncodeClusterInfo writes ClusterInfo JSON (brokerAddrTable, clusterAddrTable).
func EncodeClusterInfo(ci routes.ClusterInfo, standard bool) []byte {
	var w writer
	w.raw(`{"brokerAddrTable":{`)
	for i, bd := range ci.Brokers {
		if i > 0 {
			w.raw(",")
		}
		w.str(bd.BrokerName)
		w.raw(":")
		writeBrokerData(&w, bd, standard)
	}
	w.raw(`},"clusterAddrTable":{`)
	for i, c := range slices.Sorted(maps.Keys(ci.Clusters)) {
		if i > 0 {
			w.raw(",")
		}
		w.str(c)
		w.raw(":")
		w.strings(ci.Clusters[c])
	}
	w.raw("}}")
	return w.b
}

// DecodeClusterInfo parses ClusterInfo JSON in either key form.
func DecodeClusterInfo(data []byte) (routes.ClusterInfo, error) {
	var v struct {
		BrokerAddrTable  map[string]brokerDataJSON `json:"brokerAddrTable"`
		ClusterAddrTable map[string][]string       `json:"clusterAddrTable"`
	}
	if err := unmarshal(data, &v, "cluster info"); err != nil {
		return routes.ClusterInfo{}, err
	}
	ci := routes.ClusterInfo{Clusters: map[string][]string{}}
	for _, name := range slices.Sorted(maps.Keys(v.BrokerAddrTable)) {
		bd, err := v.BrokerAddrTable[name].decode("cluster info")
		if err != nil {
			return routes.ClusterInfo{}, err
		}
		ci.Brokers = append(ci.Brokers, bd)
	}
	for c, names := range v.ClusterAddrTable {
		ci.Clusters[c] = slices.Sorted(slices.Values(names))
	}
	return ci, nil
}
