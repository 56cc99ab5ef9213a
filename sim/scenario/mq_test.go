package scenario

import (
	"strings"
	"testing"
	"time"
)

const mqBase = `duration: 10s
topology:
  nodes:
    - {name: namesrv, role: namesrv}
    - name: broker-a
      role: broker
      options:
        flushDiskType: ASYNC_FLUSH
    - {name: producer-1, role: producer}
    - {name: consumer-1, role: consumer}
workload:
  kind: mq
  params: {queues: 2}
expectations:
  delivery: {lost: allowed}
  linearizable: {queues-illegal: allowed}
`

func TestMQScenario(t *testing.T) {
	s := mustParse(t, mqBase)
	p, ok := s.Workload.Config.(MQParams)
	if !ok || p.Queues != 2 || p.Topic != mqTopicDefault || p.Hold != mqHoldDefault {
		t.Fatalf("params %#v", s.Workload.Config)
	}
	b := s.NodesWithRole("broker")[0]
	if b.Conf["flushDiskType"] != "ASYNC_FLUSH" {
		t.Errorf("broker options %v", b.Conf)
	}
	conf := MQBrokerConf(b, "10.0.0.2", "10.0.0.1:9876", p)
	if conf["flushDiskType"] != "ASYNC_FLUSH" || conf["brokerName"] != "broker-a" || conf["defaultTopicQueueNums"] != "2" {
		t.Errorf("broker.conf %v", conf)
	}
	if _, ok := s.Bounds()["delivery"]["max-lost"]; ok {
		t.Error("lost: allowed kept the default max-lost")
	}
	// (Without the final power loss: the ASYNC_FLUSH broker may lose
	// acknowledged messages in it, and Load refuses a 0 bound then.)
	g := mustParse(t, strings.Replace(strings.Replace(mqBase, "delivery: {lost: allowed}", "delivery:\n    lost: allowed\n    max-lost:sim-verify: 0", 1),
		"{queues: 2}", "{queues: 2, final-power-loss: false}", 1))
	if _, ok := g.Bounds()["delivery"]["max-lost:sim-verify"]; !ok {
		t.Errorf("per-group bound missing: %v", g.Bounds()["delivery"])
	}
	for _, j := range g.Judge(map[string]map[string]float64{"delivery": {"lost": 3, "lost:sim-group": 3}}) {
		if j.Key == "max-lost:sim-verify" && (!j.Pass || j.Measured != 0) {
			t.Errorf("an absent per-group count must judge as 0: %v", j)
		}
	}
	for _, j := range g.Judge(map[string]map[string]float64{"delivery": {"lost": 3, "lost:sim-verify": 3}}) {
		if j.Key == "max-lost:sim-verify" && j.Pass {
			t.Errorf("3 lost in sim-verify passed: %v", j)
		}
	}
	if s.Bounds()["ordering"]["max-fifo-reorder"].Limit != 0 {
		t.Error("the default ordering bound is missing")
	}

	// The message-kind params reach sim/mq's Spec.
	k := mustParse(t, strings.Replace(mqBase, "{queues: 2}", "{queues: 2, clients: core, mix: [delay, commit, fail], delay-level: 3, max-reconsume-times: 2, fail-rate: 0.1, consume-delay: 5ms, clock-error: 2s, txn-check-within: 30s, final-power-loss: false, sharding-keys: 3, broadcast: true}", 1))
	kp := k.Workload.Config.(MQParams)
	spec := kp.Spec()
	if spec.Clients != "core" || len(spec.Mix) != 3 || spec.Mix[2] != "fail" || spec.DelayLevel != 3 || spec.MaxReconsumeTimes != 2 ||
		spec.FailRate != 0.1 || spec.ConsumeDelay != 5*time.Millisecond || spec.FinalPowerLoss || spec.Queues != 2 || spec.ShardingKeys != 3 || !spec.Broadcast {
		t.Errorf("spec from params: %+v", spec)
	}
	if c := kp.Check(); c.ClockError != 2*time.Second || c.Txn.CheckWithin != 30*time.Second {
		t.Errorf("check config from params: %+v", c)
	}
	if !p.Spec().FinalPowerLoss || p.Spec().Clients != "raw" {
		t.Errorf("defaults: final power loss %v, clients %q", p.Spec().FinalPowerLoss, p.Spec().Clients)
	}

	// A client node's own options reach the deployment's overrides.
	o := mustParse(t, strings.Replace(strings.Replace(mqBase, "{queues: 2}", "{queues: 2, clients: core}", 1),
		"    - {name: producer-1, role: producer}\n", "    - {name: producer-1, role: producer, options: {interval: 5ms, mix: [commit, normal], body: 100}}\n", 1))
	oc, err := MQClient(o.NodesWithRole("producer")[0])
	if err != nil || oc == nil || oc.Interval != 5*time.Millisecond || len(oc.Mix) != 2 || oc.Body != 100 {
		t.Errorf("producer options: %+v, %v", oc, err)
	}

	cases := []struct{ old, new, want string }{
		{"flushDiskType: ASYNC_FLUSH", "flushDiskTyp: ASYNC_FLUSH", "flushDiskTyp"},
		{"flushDiskType: ASYNC_FLUSH", "flushDiskType: SOMETIMES", "flushDiskType"},
		{"flushDiskType: ASYNC_FLUSH", "flushDiskType: [a]", "single value"},
		{"{queues: 2}", "{queus: 2}", `unknown key "queus"`},
		{"{queues: 2}", "{queues: 200}", "queues 200"},
		{"delivery: {lost: allowed}", "delivery: {max-lots: 0}", `no metric "lots"`},
		{"delivery: {lost: allowed}", "delivery: {max-lots:g: 0}", `no metric "lots:g"`},
		{"    - {name: namesrv, role: namesrv}\n", "", `needs 1 to 1 "namesrv"`},
		{"    - {name: namesrv, role: namesrv}\n", "    - {name: namesrv, role: namesrv, options: {a: b}}\n", "take no options"},
		{"    - {name: consumer-1, role: consumer}\n", "    - {name: verifier, role: consumer}\n", "verification phase"},
		{"    - {name: producer-1, role: producer}\n", "    - {name: producer-1, role: producer, options: {a: b}}\n", `unknown key "a"`},
		{"    - {name: producer-1, role: producer}\n", "    - {name: producer-1, role: producer, options: {mix: [delay]}}\n", "need the core clients"},
		{"    - {name: producer-1, role: producer}\n", "    - {name: producer-1, role: producer, options: {fail-rate: 0.5}}\n", "a producer takes"},
		{"    - {name: consumer-1, role: consumer}\n", "    - {name: consumer-1, role: consumer, options: {interval: 5ms}}\n", "a consumer takes"},
		{"    - {name: consumer-1, role: consumer}\n", "    - {name: consumer-1, role: consumer, options: {group: sim-verify}}\n", "verification group"},
		{"    - {name: consumer-1, role: consumer}\n", "    - {name: consumer-1, role: consumer, options: {group: \"a b\"}}\n", `group "a b"`},
		{"{queues: 2}", "{queues: 2, clients: core, mix: [normal, sometimes]}", `message kind "sometimes"`},
		{"{queues: 2}", "{queues: 2, mix: [delay]}", "need the core clients"},
		{"{queues: 2}", "{queues: 2, clients: fancy}", `clients "fancy"`},
		{"{queues: 2}", "{queues: 2, clients: core, fail-rate: 1.5}", "fail rate 1.5"},
		{"{queues: 2}", "{queues: 2, clients: core, mix: [commit], batch: 4}", "cannot go in batches"},
		{"{queues: 2}", "{queues: 2, clock-error: -1s}", "clock-error"},
		{"{queues: 2}", "{queues: 2, delay-level: 40}", "delay level 40"},
		{"{queues: 2}", "{queues: 2, mix: normal}", "line 13"},
		{"{queues: 2}", "{queues: 2, orderly: true}", "orderly consumption needs the core clients"},
		{"{queues: 2}", "{queues: 2, broadcast: true}", "broadcasting needs the core clients"},
		{"{queues: 2}", "{queues: 2, clients: core, orderly: true, mix: [delay]}", "break the order"},
		{"delivery: {lost: allowed}", "verifier: {max-dups: 0}", `no metric "dups"`},
	}
	for _, c := range cases {
		src := strings.Replace(mqBase, c.old, c.new, 1)
		if src == mqBase {
			t.Fatalf("base lacks %q", c.old)
		}
		_, err := Parse([]byte(src), "mq.yaml")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "mq.yaml:") {
			t.Errorf("%q -> %q: error %v, want one naming mq.yaml and %q", c.old, c.new, err, c.want)
		}
	}
}
