package kvconfig

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"

	"rocketsim/runtime"
	"rocketsim/sim/simdisk"
)

func TestPutGetDeleteSurvivePowerLoss(t *testing.T) {
	d := simdisk.New(simdisk.Options{}, rand.New(rand.NewPCG(1, 2)))
	s, err := Open(d.FS(), "namesrv/kvConfig.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Get(NamespaceOrderTopicConfig, "T"); ok {
		t.Fatal("empty store has a value")
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Put(NamespaceOrderTopicConfig, "T", "a:4;b:4"))
	must(s.Put(NamespaceOrderTopicConfig, "U", "a:8"))
	must(s.Put("other", "k", "v \"quoted\""))
	must(s.Delete(NamespaceOrderTopicConfig, "U"))
	d.PowerLoss() // only synced data survives: the store syncs before it answers

	s2, err := Open(d.FS(), "namesrv/kvConfig.json")
	if err != nil {
		t.Fatal(err)
	}
	got, ok := s2.List(NamespaceOrderTopicConfig)
	if !ok || !reflect.DeepEqual(got, map[string]string{"T": "a:4;b:4"}) {
		t.Fatalf("after power loss: %v %v", got, ok)
	}
	if v, _ := s2.Get("other", "k"); v != "v \"quoted\"" {
		t.Fatalf("other/k = %q", v)
	}
	if _, ok := s2.List("missing"); ok {
		t.Fatal("missing namespace listed")
	}
}

func TestPersistErrorIsReported(t *testing.T) {
	d := simdisk.New(simdisk.Options{}, rand.New(rand.NewPCG(1, 2)))
	s, _ := Open(d.FS(), "kv.json")
	d.SetFsyncFailProb(1)
	err := s.Put("ns", "k", "v")
	if !errors.Is(err, runtime.ErrIO) {
		t.Fatalf("want ErrIO, got %v", err)
	}
	if v, ok := s.Get("ns", "k"); !ok || v != "v" {
		t.Fatal("value lost from memory")
	}
}

func TestOpenRejectsCorruptFile(t *testing.T) {
	d := simdisk.New(simdisk.Options{}, rand.New(rand.NewPCG(1, 2)))
	f, _ := d.FS().Open("kv.json", runtime.ReadWrite|runtime.Create)
	f.WriteAt([]byte(`{"configTable":`), 0)
	f.Close()
	if _, err := Open(d.FS(), "kv.json"); err == nil {
		t.Fatal("corrupt file accepted")
	}
}
