package realrt

import (
	"testing"

	"rocketsim/runtime"
)

// The real runtime never takes a buggify path: those are the simulator's.
func TestRealRuntimeNeverBuggifies(t *testing.T) {
	var r runtime.Runtime
	startRT(t, "b", Options{}, func(x runtime.Runtime) (runtime.Node, error) { r = x; return &nopNode{}, nil })
	if _, ok := r.(runtime.Buggifier); ok {
		t.Fatal("realrt implements runtime.Buggifier")
	}
	if runtime.Buggify(r, "broker/pull-one") {
		t.Fatal("realrt said yes to a buggify site")
	}
}
