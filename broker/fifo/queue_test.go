package fifo

import "testing"

// Items come out in push order through any mix of pushes and pops, and a
// queue that never empties keeps its slice bounded.
func TestOrderAndBoundedGrowth(t *testing.T) {
	var q Queue[int]
	next, want := 0, 0
	for round := 0; round < 10000; round++ {
		for i := 0; i < 3; i++ {
			q.Push(next)
			next++
		}
		for i := 0; i < 3 && q.Len() > 1; i++ {
			if got := q.Pop(); got != want {
				t.Fatalf("popped %d, want %d", got, want)
			}
			want++
		}
	}
	if q.Len() != next-want {
		t.Fatalf("Len %d, want %d", q.Len(), next-want)
	}
	if cap(q.items) > 4*(compactAfter+q.Len()) {
		t.Fatalf("slice of %d for %d items: never compacted", cap(q.items), q.Len())
	}
	*q.Front() = -1
	if q.Pop() != -1 {
		t.Fatal("Front does not point at the item Pop returns")
	}
}

func TestFrontOfEmptyPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Front of an empty queue did not panic")
		}
	}()
	var q Queue[string]
	q.Front()
}
