package scenario

import (
	"strings"
	"testing"
	"time"
)

func TestEdit(t *testing.T) {
	src := "# keep me\n" + base + "  - at: 10s\n    fault: {kind: heal}\n  - at: 20s\n    fault: {kind: crash, nodes: [c1]}\n"
	s := mustParse(t, src)
	if len(s.Faults) != 3 {
		t.Fatalf("%d faults", len(s.Faults))
	}
	e, out, err := s.Edit(Edit{DropFaults: []int{0, 2}, Duration: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Faults) != 1 || e.Faults[0].Fault.Kind != "heal" || e.Duration != 30*time.Second {
		t.Errorf("edited: %d faults, duration %v", len(e.Faults), e.Duration)
	}
	if len(s.Faults) != 3 || s.Duration != time.Minute {
		t.Error("Edit changed the original")
	}
	if !strings.Contains(string(out), "keep me") {
		t.Errorf("comments lost:\n%s", out)
	}
	again, err := Parse(out, "again.yaml")
	if err != nil || len(again.Faults) != 1 {
		t.Errorf("edited source does not parse back: %v", err)
	}

	// Dropping a node a fault names, or moving the end before a fault,
	// leaves an invalid scenario: an error, not a silently different test.
	if _, _, err := s.Edit(Edit{DropNodes: []string{"c1"}}); err == nil {
		t.Error("dropping the only client validated")
	}
	if _, _, err := s.Edit(Edit{Duration: 15 * time.Second}); err == nil {
		t.Error("a duration before the last fault validated")
	}
	two := strings.Replace(src, "    - name: c1\n      role: client\n", "    - name: c1\n      role: client\n    - name: c2\n      role: client\n", 1)
	s2 := mustParse(t, two)
	e2, _, err := s2.Edit(Edit{DropNodes: []string{"c2"}})
	if err != nil || len(e2.Topology.Nodes) != 2 {
		t.Errorf("dropping c2: %v", err)
	}
}
