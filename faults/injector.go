package faults

// Injector applies faults to a running system: the simulator's world, or the
// multi-process runner's supervisor. Apply returns an error when the fault
// cannot be applied as asked (an unknown node, a kind this injector does not
// support); an injector never half-applies a fault that names an unknown node.
type Injector interface {
	Apply(f Fault) error
}
