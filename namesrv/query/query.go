// Package query is the client side of the name server's read requests, for
// producers, consumers and tools built on the event-driven core: route by
// topic, all topics, topics by cluster, cluster info. Each call sends one
// request on the endpoint's connection to the name server and calls done
// once on the node's loop.
package query

import (
	"errors"
	"fmt"
	"time"

	"rocketsim/namesrv/routes"
	"rocketsim/namesrv/wire"
	"rocketsim/remoting"
)

// ErrTopicNotExist is returned for a topic no broker serves (response code
// TOPIC_NOT_EXIST); a producer then falls back to the TBW102 route.
var ErrTopicNotExist = errors.New("topic route not found")

// TimeoutDefault is rocketmq-client-go's route query timeout.
const TimeoutDefault = 6 * time.Second

// Route asks the name server at addr for topic's route.
func Route(ep *remoting.Endpoint, addr, topic string, timeout time.Duration, done func(routes.TopicRoute, error)) error {
	req := remoting.NewRequest(remoting.ReqGetRouteInfoByTopic, map[string]string{"topic": topic})
	return call(ep, addr, req, timeout, func(resp *remoting.Command, err error) {
		if err == nil && resp.Code == remoting.RespTopicNotExist {
			err = fmt.Errorf("%s at %s: %w", topic, addr, ErrTopicNotExist)
		}
		if err != nil {
			done(routes.TopicRoute{}, err)
			return
		}
		r, err := wire.DecodeTopicRoute(resp.Body)
		done(r, err)
	})
}

// AllTopics asks for every topic the name server knows.
func AllTopics(ep *remoting.Endpoint, addr string, timeout time.Duration, done func([]string, error)) error {
	return topicList(ep, addr, remoting.NewRequest(remoting.ReqGetAllTopicListFromNameserver, nil), timeout, done)
}

// TopicsByCluster asks for the topics served by cluster's brokers.
func TopicsByCluster(ep *remoting.Endpoint, addr, cluster string, timeout time.Duration, done func([]string, error)) error {
	req := remoting.NewRequest(remoting.ReqGetTopicsByCluster, map[string]string{"cluster": cluster})
	return topicList(ep, addr, req, timeout, done)
}

// ClusterInfo asks for every broker group and cluster.
func ClusterInfo(ep *remoting.Endpoint, addr string, timeout time.Duration, done func(routes.ClusterInfo, error)) error {
	req := remoting.NewRequest(remoting.ReqGetBrokerClusterInfo, nil)
	return call(ep, addr, req, timeout, func(resp *remoting.Command, err error) {
		if err != nil {
			done(routes.ClusterInfo{}, err)
			return
		}
		ci, err := wire.DecodeClusterInfo(resp.Body)
		done(ci, err)
	})
}

func topicList(ep *remoting.Endpoint, addr string, req *remoting.Command, timeout time.Duration, done func([]string, error)) error {
	return call(ep, addr, req, timeout, func(resp *remoting.Command, err error) {
		if err != nil {
			done(nil, err)
			return
		}
		topics, _, err := wire.DecodeTopicList(resp.Body)
		done(topics, err)
	})
}

// call invokes req and turns transport errors and unexpected codes into
// errors; TOPIC_NOT_EXIST is passed through for Route to name.
func call(ep *remoting.Endpoint, addr string, req *remoting.Command, timeout time.Duration, done func(*remoting.Command, error)) error {
	if timeout <= 0 {
		timeout = TimeoutDefault
	}
	return ep.Invoke(ep.ConnTo(addr), req, timeout, func(resp *remoting.Command, err error) {
		switch {
		case err != nil:
			done(nil, fmt.Errorf("%s at %s: %w", remoting.RequestName(req.Code), addr, err))
		case resp.Code == remoting.RespSuccess || resp.Code == remoting.RespTopicNotExist:
			done(resp, nil)
		default:
			done(nil, fmt.Errorf("%s at %s: %s: %s", remoting.RequestName(req.Code), addr, remoting.ResponseName(resp.Code), resp.Remark))
		}
	})
}
