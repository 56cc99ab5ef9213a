package server

import (
	"fmt"
	"hash/crc32"
	"log/slog"
	"strconv"
	"strings"

	"rocketsim/namesrv/kvconfig"
	"rocketsim/namesrv/routes"
	"rocketsim/namesrv/wire"
	"rocketsim/properties"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

// register installs a handler per request code the name server serves (Java
// DefaultRequestProcessor).
func (s *Server) register() {
	h := map[int16]func(*remoting.Command) *remoting.Command{
		remoting.ReqPutKVConfig:                   s.putKVConfig,
		remoting.ReqGetKVConfig:                   s.getKVConfig,
		remoting.ReqDeleteKVConfig:                s.deleteKVConfig,
		remoting.ReqGetKVListByNamespace:          s.getKVList,
		remoting.ReqQueryDataVersion:              s.queryDataVersion,
		remoting.ReqUnregisterBroker:              s.unregisterBroker,
		remoting.ReqGetRouteInfoByTopic:           s.getRouteInfoByTopic,
		remoting.ReqGetBrokerClusterInfo:          s.getBrokerClusterInfo,
		remoting.ReqWipeWritePermOfBroker:         s.wipeWritePerm,
		remoting.ReqAddWritePermOfBroker:          s.addWritePerm,
		remoting.ReqGetAllTopicListFromNameserver: s.getAllTopicList,
		remoting.ReqDeleteTopicInNamesrv:          s.deleteTopic,
		remoting.ReqGetTopicsByCluster:            s.getTopicsByCluster,
		remoting.ReqGetSystemTopicListFromNS:      s.getSystemTopicList,
		remoting.ReqGetUnitTopicList:              s.unitTopics(func(f int) bool { return f&topicSysFlagUnit != 0 }),
		remoting.ReqGetHasUnitSubTopicList:        s.unitTopics(func(f int) bool { return f&topicSysFlagUnitSub != 0 }),
		remoting.ReqGetHasUnitSubUnunitTopicList:  s.unitTopics(func(f int) bool { return f&topicSysFlagUnit == 0 && f&topicSysFlagUnitSub != 0 }),
		remoting.ReqUpdateNamesrvConfig:           s.updateConfig,
		remoting.ReqGetNamesrvConfig:              s.getConfig,
	}
	for code, fn := range h {
		s.ep.Handle(code, func(req *remoting.Request) { s.reply(req, fn(req.Cmd)) })
	}
	// Registration also needs the connection: its close drops the broker.
	s.ep.Handle(remoting.ReqRegisterBroker, func(req *remoting.Request) { s.reply(req, s.registerBroker(req)) })
}

// Java TopicSysFlag bits.
const (
	topicSysFlagUnit    = 1 << 0
	topicSysFlagUnitSub = 1 << 1
)

func (s *Server) reply(req *remoting.Request, resp *remoting.Command) {
	if err := req.Reply(resp); err != nil {
		s.log.Info("reply not sent", slog.String("code", remoting.RequestName(req.Cmd.Code)), slog.Any("err", err))
	}
}

func ok(req *remoting.Command) *remoting.Command {
	return remoting.NewResponse(req, remoting.RespSuccess, "")
}

func fail(req *remoting.Command, code int16, format string, args ...any) *remoting.Command {
	return remoting.NewResponse(req, code, fmt.Sprintf(format, args...))
}

// required returns the named header fields, or an error response naming the
// first one missing (Java's @CFNotNull check).
func required(req *remoting.Command, keys ...string) ([]string, *remoting.Command) {
	vals := make([]string, len(keys))
	for i, k := range keys {
		v, present := req.ExtFields[k]
		if !present {
			return nil, fail(req, remoting.RespSystemError, "the custom field <%s> is null", k)
		}
		vals[i] = v
	}
	return vals, nil
}

func (s *Server) putKVConfig(req *remoting.Command) *remoting.Command {
	ns, hasNS := req.ExtFields["namespace"]
	key, hasKey := req.ExtFields["key"]
	if !hasNS || !hasKey {
		return fail(req, remoting.RespSystemError, "namespace or key is null")
	}
	if err := s.kv.Put(ns, key, req.Ext("value")); err != nil {
		s.log.Error("kv config not persisted", slog.Any("err", err))
		return fail(req, remoting.RespSystemError, "kv config not persisted: %v", err)
	}
	return ok(req)
}

func (s *Server) getKVConfig(req *remoting.Command) *remoting.Command {
	v, bad := required(req, "namespace", "key")
	if bad != nil {
		return bad
	}
	value, found := s.kv.Get(v[0], v[1])
	if !found {
		return fail(req, remoting.RespQueryNotFound, "No config item, Namespace: %s Key: %s", v[0], v[1])
	}
	resp := ok(req)
	resp.SetExt("value", value)
	return resp
}

func (s *Server) deleteKVConfig(req *remoting.Command) *remoting.Command {
	v, bad := required(req, "namespace", "key")
	if bad != nil {
		return bad
	}
	if err := s.kv.Delete(v[0], v[1]); err != nil {
		s.log.Error("kv config not persisted", slog.Any("err", err))
		return fail(req, remoting.RespSystemError, "kv config not persisted: %v", err)
	}
	return ok(req)
}

func (s *Server) getKVList(req *remoting.Command) *remoting.Command {
	v, bad := required(req, "namespace")
	if bad != nil {
		return bad
	}
	table, found := s.kv.List(v[0])
	if !found {
		return fail(req, remoting.RespQueryNotFound, "No config item, Namespace: %s", v[0])
	}
	resp := ok(req)
	resp.Body = wire.EncodeKVTable(table)
	return resp
}

func (s *Server) registerBroker(r *remoting.Request) *remoting.Command {
	req := r.Cmd
	v, bad := required(req, "clusterName", "brokerAddr", "brokerName", "brokerId")
	if bad != nil {
		return bad
	}
	id, err := req.ExtInt64("brokerId")
	if err != nil {
		return fail(req, remoting.RespSystemError, "%v", err)
	}
	if crcWant := req.Ext("bodyCrc32"); crcWant != "" && crcWant != "0" {
		want, err := strconv.ParseInt(crcWant, 10, 64)
		if err != nil {
			return fail(req, remoting.RespSystemError, "header field \"bodyCrc32\"=%q: %v", crcWant, err)
		}
		// Java's UtilAll.crc32 masks the sign bit off.
		if got := int64(crc32.ChecksumIEEE(req.Body) & 0x7fffffff); got != want {
			s.log.Warn("register broker: crc32 mismatch", slog.String("peer", r.Conn.RemoteAddr()))
			return fail(req, remoting.RespSystemError, "crc32 not match")
		}
	}
	reg := routes.Registration{
		Cluster: v[0], BrokerAddr: v[1], BrokerName: v[2], BrokerID: id,
		HAServerAddr: req.Ext("haServerAddr"),
		ConnID:       r.Conn.ID(),
		Now:          s.rt.Monotonic(),
	}
	if len(req.Body) > 0 {
		body, err := wire.DecodeRegisterBody(req.Body, req.ExtBool("compressed"))
		if err != nil {
			return fail(req, remoting.RespSystemError, "Failed to decode RegisterBrokerBody: %v", err)
		}
		reg.DataVersion, reg.Topics, reg.FilterServers = body.DataVersion, body.Topics, body.FilterServers
	}
	_, known := s.table.Live(reg.BrokerAddr)
	res := s.table.Register(reg)
	if !known {
		s.log.Info("broker registered", slog.String("cluster", reg.Cluster), slog.String("broker", reg.BrokerName),
			slog.Int64("id", reg.BrokerID), slog.String("addr", reg.BrokerAddr), slog.Int("topics", len(reg.Topics)))
	}
	resp := ok(req)
	if res.HAServerAddr != "" {
		resp.SetExt("haServerAddr", res.HAServerAddr)
	}
	if res.MasterAddr != "" {
		resp.SetExt("masterAddr", res.MasterAddr)
	}
	if order, found := s.kv.List(kvconfig.NamespaceOrderTopicConfig); found {
		resp.Body = wire.EncodeKVTable(order)
	}
	return resp
}

func (s *Server) unregisterBroker(req *remoting.Command) *remoting.Command {
	v, bad := required(req, "clusterName", "brokerAddr", "brokerName", "brokerId")
	if bad != nil {
		return bad
	}
	id, err := req.ExtInt64("brokerId")
	if err != nil {
		return fail(req, remoting.RespSystemError, "%v", err)
	}
	s.table.Unregister(v[1])
	s.log.Info("broker unregistered", slog.String("cluster", v[0]), slog.String("broker", v[2]),
		slog.Int64("id", id), slog.String("addr", v[1]))
	return ok(req)
}

func (s *Server) queryDataVersion(req *remoting.Command) *remoting.Command {
	v, bad := required(req, "brokerAddr")
	if bad != nil {
		return bad
	}
	dv, err := wire.DecodeDataVersion(req.Body)
	if err != nil {
		return fail(req, remoting.RespSystemError, "%v", err)
	}
	changed := s.table.TopicConfigChanged(v[0], dv)
	if !changed {
		s.table.Touch(v[0], s.rt.Monotonic())
	}
	resp := ok(req)
	if l, found := s.table.Live(v[0]); found {
		resp.Body = wire.EncodeDataVersion(l.DataVersion)
	}
	resp.SetExt("changed", strconv.FormatBool(changed))
	return resp
}

func (s *Server) getRouteInfoByTopic(req *remoting.Command) *remoting.Command {
	v, bad := required(req, "topic")
	if bad != nil {
		return bad
	}
	route, found := s.table.Route(v[0])
	if !found {
		return fail(req, remoting.RespTopicNotExist, "No topic route info in name server for the topic: %s", v[0])
	}
	if s.cfg.OrderMessageEnable {
		route.OrderTopicConf, _ = s.kv.Get(kvconfig.NamespaceOrderTopicConfig, v[0])
	}
	if runtime.Buggify(s.rt, "namesrv/route-shuffled") {
		// Java's name server lists brokers and queues in hash-map order:
		// a client must not depend on the order it gets.
		rng := s.rt.Rand()
		rng.Shuffle(len(route.QueueDatas), func(i, j int) { route.QueueDatas[i], route.QueueDatas[j] = route.QueueDatas[j], route.QueueDatas[i] })
		rng.Shuffle(len(route.BrokerDatas), func(i, j int) {
			route.BrokerDatas[i], route.BrokerDatas[j] = route.BrokerDatas[j], route.BrokerDatas[i]
		})
	}
	standard := req.Version >= remoting.VersionV4_9_4 || req.ExtBool("acceptStandardJsonOnly")
	resp := ok(req)
	resp.Body = wire.EncodeTopicRoute(route, standard)
	return resp
}

func (s *Server) getBrokerClusterInfo(req *remoting.Command) *remoting.Command {
	resp := ok(req)
	// Java writes bare integer keys here whatever the client's version; we
	// write them to old clients as Java does, and standard JSON to clients of
	// V4_9_4 and later, as Java does for routes: every parser we know of
	// accepts the standard form.
	resp.Body = wire.EncodeClusterInfo(s.table.ClusterInfo(), req.Version >= remoting.VersionV4_9_4)
	return resp
}

func (s *Server) wipeWritePerm(req *remoting.Command) *remoting.Command {
	return s.changeWritePerm(req, s.table.WipeWritePerm, "wiped write permission", "wipeTopicCount")
}

func (s *Server) addWritePerm(req *remoting.Command) *remoting.Command {
	return s.changeWritePerm(req, s.table.AddWritePerm, "added write permission", "addTopicCount")
}

// changeWritePerm applies change to the broker the request names and
// answers how many of its topics it touched under countField.
func (s *Server) changeWritePerm(req *remoting.Command, change func(brokerName string) int, what, countField string) *remoting.Command {
	v, bad := required(req, "brokerName")
	if bad != nil {
		return bad
	}
	n := change(v[0])
	s.log.Info(what, slog.String("broker", v[0]), slog.Int("topics", n))
	resp := ok(req)
	resp.SetExt(countField, strconv.Itoa(n))
	return resp
}

func (s *Server) getAllTopicList(req *remoting.Command) *remoting.Command {
	resp := ok(req)
	resp.Body = wire.EncodeTopicList(s.table.Topics(), "")
	return resp
}

func (s *Server) deleteTopic(req *remoting.Command) *remoting.Command {
	v, bad := required(req, "topic")
	if bad != nil {
		return bad
	}
	s.table.DeleteTopic(v[0], req.Ext("clusterName"))
	return ok(req)
}

func (s *Server) getTopicsByCluster(req *remoting.Command) *remoting.Command {
	v, bad := required(req, "cluster")
	if bad != nil {
		return bad
	}
	resp := ok(req)
	resp.Body = wire.EncodeTopicList(s.table.TopicsByCluster(v[0]), "")
	return resp
}

func (s *Server) getSystemTopicList(req *remoting.Command) *remoting.Command {
	topics, addr := s.table.SystemTopics()
	resp := ok(req)
	resp.Body = wire.EncodeTopicList(topics, addr)
	return resp
}

func (s *Server) unitTopics(pick func(int) bool) func(*remoting.Command) *remoting.Command {
	return func(req *remoting.Command) *remoting.Command {
		resp := ok(req)
		resp.Body = wire.EncodeTopicList(s.table.TopicsWithSysFlag(pick), "")
		return resp
	}
}

// configBlackList are keys UPDATE_NAMESRV_CONFIG may not change: where the
// server listens and stores things is fixed for the process's life.
var configBlackList = []string{"listenPort", "bindAddress", "kvConfigPath", "frameMaxLength"}

func (s *Server) updateConfig(req *remoting.Command) *remoting.Command {
	if len(req.Body) == 0 {
		return ok(req)
	}
	p, err := properties.Parse(strings.NewReader(string(req.Body)), "UPDATE_NAMESRV_CONFIG")
	if err != nil {
		return fail(req, remoting.RespSystemError, "string2Properties error: %v", err)
	}
	for _, k := range configBlackList {
		if _, found := p.Get(k); found {
			return fail(req, remoting.RespNoPermission, "Can not update config in black list.")
		}
	}
	next := s.cfg
	if err := properties.Bind(p, &next); err != nil {
		return fail(req, remoting.RespSystemError, "%v", err)
	}
	if err := next.Validate(); err != nil {
		return fail(req, remoting.RespSystemError, "%v", err)
	}
	s.cfg = next
	s.log.Info("configuration updated", slog.String("body", string(req.Body)))
	return ok(req)
}

func (s *Server) getConfig(req *remoting.Command) *remoting.Command {
	resp := ok(req)
	resp.Body = []byte(properties.Dump(s.cfg))
	return resp
}
