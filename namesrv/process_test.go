package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/rlog"

	"rocketsim/namesrv/routes"
	"rocketsim/namesrv/wire"
	"rocketsim/remoting"
	"rocketsim/runtime"
	"rocketsim/runtime/realrt"
)

// The test binary doubles as the name server process: with this variable
// set it runs main's run() with the given arguments.
const childEnv = "NAMESRV_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(childEnv); args != "" {
		os.Exit(run(strings.Split(args, "\x1f")))
	}
	os.Exit(m.Run())
}

type process struct {
	cmd    *exec.Cmd
	addr   string
	stderr *strings.Builder
}

func startProcess(t *testing.T, args ...string) *process {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+strings.Join(args, "\x1f"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, stderr: &strings.Builder{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	deadline := time.AfterFunc(10*time.Second, func() { cmd.Process.Kill() })
	defer deadline.Stop()
	for lines.Scan() {
		if _, after, ok := strings.Cut(lines.Text(), "boot success. serializeType=JSON listen="); ok {
			p.addr = after
			go io.Copy(io.Discard, out)
			return p
		}
	}
	cmd.Wait()
	t.Fatalf("name server did not boot; stderr:\n%s", p.stderr)
	return nil
}

// stop sends SIGTERM and expects a graceful exit 0.
func (p *process) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v; stderr:\n%s", err, p.stderr)
		}
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		t.Fatal("no exit within 10 s of SIGTERM")
	}
	if !strings.Contains(p.stderr.String(), "name server stopped") {
		t.Fatalf("no graceful stop in the log:\n%s", p.stderr)
	}
}

// client is our remoting endpoint on the real runtime, used synchronously.
type client struct {
	rt *realrt.Runtime
	ep *remoting.Endpoint
}

type nopNode struct{}

func (nopNode) Stop() {}

func newClient(t *testing.T) *client {
	c := &client{rt: realrt.New("client", realrt.Options{DataDir: t.TempDir(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Seed: 5})}
	if err := c.rt.Start(func(rt runtime.Runtime) (runtime.Node, error) {
		c.ep = remoting.NewEndpoint(rt, remoting.Options{})
		return nopNode{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.rt.Stop)
	return c
}

func (c *client) call(t *testing.T, addr string, req *remoting.Command) *remoting.Command {
	t.Helper()
	type answer struct {
		resp *remoting.Command
		err  error
	}
	ch := make(chan answer, 1)
	c.rt.Post(func() {
		if err := c.ep.Invoke(c.ep.ConnTo(addr), req, 5*time.Second, func(r *remoting.Command, err error) { ch <- answer{r, err} }); err != nil {
			ch <- answer{nil, err}
		}
	})
	a := <-ch
	if a.err != nil {
		t.Fatalf("%s: %v", remoting.RequestName(req.Code), a.err)
	}
	return a.resp
}

// TestProcessServesOfficialClientAndKeepsKVAcrossRestart runs the name
// server as its own process, as deployed: it boots from a properties file,
// serves our registration and the official client's queries, stops on
// SIGTERM, and keeps its KV config across a restart.
func TestProcessServesOfficialClientAndKeepsKVAcrossRestart(t *testing.T) {
	rlog.SetLogLevel("error")
	dir := t.TempDir()
	conf := filepath.Join(dir, "namesrv.properties")
	os.WriteFile(conf, []byte("listenPort=0\nbindAddress=127.0.0.1\nscanNotActiveBrokerInterval=1s\n"), 0o644)
	data := filepath.Join(dir, "data")

	p := startProcess(t, "-c", conf, "-data", data)
	c := newClient(t)
	reg := remoting.NewRequest(remoting.ReqRegisterBroker, map[string]string{
		"clusterName": "DefaultCluster", "brokerName": "broker-a", "brokerAddr": "127.0.0.1:10911", "brokerId": "0"})
	reg.Body = wire.EncodeRegisterBody(wire.RegisterBody{Topics: map[string]routes.TopicConfig{
		"TopicTest": {TopicName: "TopicTest", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6}}}, false)
	if resp := c.call(t, p.addr, reg); resp.Code != remoting.RespSuccess {
		t.Fatalf("register: %v", resp)
	}
	put := remoting.NewRequest(remoting.ReqPutKVConfig, map[string]string{"namespace": "ORDER_TOPIC_CONFIG", "key": "TopicTest", "value": "broker-a:4"})
	if resp := c.call(t, p.addr, put); resp.Code != remoting.RespSuccess {
		t.Fatalf("put kv: %v", resp)
	}

	adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{p.addr})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	mqs, err := adm.FetchPublishMessageQueues(ctx, "TopicTest")
	if err != nil || len(mqs) != 4 {
		t.Fatalf("official client: %d queues, %v", len(mqs), err)
	}
	list, err := adm.FetchAllTopicList(ctx)
	if err != nil || len(list.TopicList) != 1 || list.TopicList[0] != "TopicTest" {
		t.Fatalf("official client topic list %+v %v", list, err)
	}
	adm.Close()
	p.stop(t)

	p = startProcess(t, "-c", conf, "-data", data)
	defer p.stop(t)
	get := remoting.NewRequest(remoting.ReqGetKVConfig, map[string]string{"namespace": "ORDER_TOPIC_CONFIG", "key": "TopicTest"})
	if resp := c.call(t, p.addr, get); resp.Code != remoting.RespSuccess || resp.Ext("value") != "broker-a:4" {
		t.Fatalf("kv after restart: %v", resp)
	}
	// Routes are memory only, as in Java: the restarted server knows no
	// topic until brokers register again.
	route := remoting.NewRequest(remoting.ReqGetRouteInfoByTopic, map[string]string{"topic": "TopicTest"})
	if resp := c.call(t, p.addr, route); resp.Code != remoting.RespTopicNotExist {
		t.Fatalf("route after restart: %v", resp)
	}
}
