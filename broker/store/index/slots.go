package index

// slotTable is the in-memory slot table of the file being written, in
// pages of slotPageSlots that exist only once a slot in them is set: a new
// file's 5,000,000 default slots would otherwise be 20 MB to allocate and
// clear before its first key (a fresh store's first put paid for it).
type slotTable struct {
	pages [][]int32 // nil page: every slot in it is zero
	dirty []bool    // per page: changed since the last writeBack
}

func newSlotTable(slotNum int32) *slotTable {
	n := (slotNum + slotPageSlots - 1) / slotPageSlots
	return &slotTable{pages: make([][]int32, n), dirty: make([]bool, n)}
}

func (t *slotTable) get(slot int32) int32 {
	if p := t.pages[slot/slotPageSlots]; p != nil {
		return p[slot%slotPageSlots]
	}
	return 0
}

func (t *slotTable) set(slot, v int32) {
	i := slot / slotPageSlots
	p := t.pages[i]
	if p == nil {
		p = make([]int32, slotPageSlots)
		t.pages[i] = p
	}
	p[slot%slotPageSlots] = v
	t.dirty[i] = true
}
