// Package admin is the clients' small administration core, as
// rocketmq-client-go's admin package has it: create and delete topics on
// brokers and name servers, and list the name servers' topics. Like the
// other cores it runs on a runtime.Runtime loop and answers by callback.
package admin

import (
	"fmt"
	"strconv"
	"time"

	"rocketsim/client"
	"rocketsim/namesrv/wire"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

// RequestTimeout bounds one admin request (the Go client's admin uses 5 s).
const RequestTimeout = 5 * time.Second

// TopicConfig is what CreateTopic asks a broker to create.
type TopicConfig struct {
	Topic          string
	ReadQueueNums  int // 0: 8, the Go admin client's default
	WriteQueueNums int // 0: 8
	Perm           int // 0: 6 (read and write)
	TopicSysFlag   int
	Order          bool
}

// Admin sends admin requests. All methods run on the loop.
type Admin struct {
	rt  runtime.Runtime
	ep  *remoting.Endpoint
	nss []string
}

// New returns an admin core that asks the name servers at nameServers.
func New(rt runtime.Runtime, nameServers []string) *Admin {
	return &Admin{rt: rt, ep: remoting.NewEndpoint(rt, remoting.Options{}), nss: nameServers}
}

// Close fails pending requests.
func (a *Admin) Close() { a.ep.Close() }

func (a *Admin) call(addr string, req *remoting.Command, done func(*remoting.Command, error)) {
	if err := a.ep.Invoke(a.ep.ConnTo(addr), req, RequestTimeout, func(resp *remoting.Command, err error) {
		if err != nil {
			done(nil, fmt.Errorf("%s to %s: %w", remoting.RequestName(req.Code), addr, err))
			return
		}
		if resp.Code != remoting.RespSuccess {
			done(resp, fmt.Errorf("%s to %s: %s (%d): %s", remoting.RequestName(req.Code), addr,
				remoting.ResponseName(resp.Code), resp.Code, resp.Remark))
			return
		}
		done(resp, nil)
	}); err != nil {
		done(nil, fmt.Errorf("%s to %s: %w", remoting.RequestName(req.Code), addr, err))
	}
}

// CreateTopic creates or updates a topic on the broker at brokerAddr
// (UPDATE_AND_CREATE_TOPIC); the broker then registers it with the name
// servers.
func (a *Admin) CreateTopic(brokerAddr string, c TopicConfig, done func(error)) {
	if c.ReadQueueNums == 0 {
		c.ReadQueueNums = 8
	}
	if c.WriteQueueNums == 0 {
		c.WriteQueueNums = 8
	}
	if c.Perm == 0 {
		c.Perm = 6
	}
	req := remoting.NewRequest(remoting.ReqUpdateAndCreateTopic, map[string]string{
		"topic":           c.Topic,
		"defaultTopic":    client.DefaultTopic,
		"readQueueNums":   strconv.Itoa(c.ReadQueueNums),
		"writeQueueNums":  strconv.Itoa(c.WriteQueueNums),
		"perm":            strconv.Itoa(c.Perm),
		"topicFilterType": wire.TopicFilterTypeDefault,
		"topicSysFlag":    strconv.Itoa(c.TopicSysFlag),
		"order":           strconv.FormatBool(c.Order),
	})
	a.call(brokerAddr, req, func(_ *remoting.Command, err error) { done(err) })
}

// DeleteTopic deletes topic from the broker at brokerAddr
// (DELETE_TOPIC_IN_BROKER), then from every name server
// (DELETE_TOPIC_IN_NAMESRV); done gets the first error.
func (a *Admin) DeleteTopic(brokerAddr, topic string, done func(error)) {
	a.call(brokerAddr, remoting.NewRequest(remoting.ReqDeleteTopicInBroker, map[string]string{"topic": topic}),
		func(_ *remoting.Command, err error) {
			if err != nil {
				done(err)
				return
			}
			a.deleteInNamesrv(topic, 0, done)
		})
}

func (a *Admin) deleteInNamesrv(topic string, i int, done func(error)) {
	if i == len(a.nss) {
		done(nil)
		return
	}
	a.call(a.nss[i], remoting.NewRequest(remoting.ReqDeleteTopicInNamesrv, map[string]string{"topic": topic}),
		func(_ *remoting.Command, err error) {
			if err != nil {
				done(err)
				return
			}
			a.deleteInNamesrv(topic, i+1, done)
		})
}

// Topics lists the topics the first answering name server knows
// (GET_ALL_TOPIC_LIST_FROM_NAMESERVER).
func (a *Admin) Topics(done func([]string, error)) { a.topics(0, nil, done) }

func (a *Admin) topics(i int, last error, done func([]string, error)) {
	if i == len(a.nss) {
		if last == nil {
			last = fmt.Errorf("admin: no name server configured")
		}
		done(nil, last)
		return
	}
	a.call(a.nss[i], remoting.NewRequest(remoting.ReqGetAllTopicListFromNameserver, nil), func(resp *remoting.Command, err error) {
		if err != nil {
			a.topics(i+1, err, done)
			return
		}
		list, _, err := wire.DecodeTopicList(resp.Body)
		if err != nil {
			a.topics(i+1, fmt.Errorf("topic list from %s: %w", a.nss[i], err), done)
			return
		}
		done(list, nil)
	})
}
