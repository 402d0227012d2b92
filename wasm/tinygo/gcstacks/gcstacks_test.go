//go:build tinygo && js

package gcstacks

import (
	"runtime"
	"syscall/js"
	"testing"
	"time"
)

// pattern fills a new slice of n bytes with seed, seed+1, ...
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i)
	}
	return b
}

func intact(b []byte, n int, seed byte) bool {
	if len(b) != n {
		return false
	}
	for i := range b {
		if b[i] != seed+byte(i) {
			return false
		}
	}
	return true
}

// churn collects and then allocates enough to reuse whatever was freed, so
// that an object the GC wrongly freed is overwritten.
func churn() {
	for range 4 {
		runtime.GC()
		var keep [][]byte
		for i := range 256 {
			keep = append(keep, pattern(64+i*16, 0xEE))
		}
		runtime.KeepAlive(keep)
	}
}

type node struct {
	data []byte
	next *node
}

// hold builds a small linked structure reachable only from its frame.
func hold(seed byte) *node {
	var head *node
	for i := range 8 {
		head = &node{data: pattern(100+i*50, seed+byte(i)), next: head}
	}
	return head
}

func check(head *node, seed byte) bool {
	n := 0
	for p := head; p != nil; p = p.next {
		i := 7 - n
		if !intact(p.data, 100+i*50, seed+byte(i)) {
			return false
		}
		n++
	}
	return n == 8
}

// What parked goroutines hold (each blocked on a channel, unwound by
// asyncify) survives collections and the reuse of what they freed.
func TestParkedGoroutinesKeepWhatTheyHold(t *testing.T) {
	const n = 48
	release := make(chan struct{})
	ready := make(chan struct{}, n)
	bad := make(chan int, n)
	for g := range n {
		go func() {
			seed := byte(g * 3)
			head := hold(seed)
			ready <- struct{}{}
			<-release
			if !check(head, seed) {
				bad <- g
			}
			bad <- -1
		}()
	}
	for range n {
		<-ready
	}
	churn()
	close(release)
	for range n {
		if g := <-bad; g >= 0 {
			t.Errorf("goroutine %d: what it held was collected while it was parked", g)
			<-bad
		}
	}
}

// What the running goroutine holds, deep in its stack, survives a
// collection it triggers itself.
func TestTheRunningGoroutineKeepsWhatItHolds(t *testing.T) {
	var recurse func(depth int) bool
	recurse = func(depth int) bool {
		seed := byte(depth)
		head := hold(seed)
		if depth < 40 {
			if !recurse(depth + 1) {
				return false
			}
		} else {
			churn()
		}
		return check(head, seed)
	}
	done := make(chan bool)
	go func() { done <- recurse(0) }()
	if !<-done {
		t.Error("what the running goroutine held on its stack was collected")
	}
}

// A goroutine in a call into JavaScript that calls back into Go (a nested
// Resume: its stack is in use although another goroutine runs) keeps what
// it holds while the callback collects.
func TestAGoroutineUnderACallbackKeepsWhatItHolds(t *testing.T) {
	cb := js.FuncOf(func(js.Value, []js.Value) any {
		churn()
		return nil
	})
	defer cb.Release()
	call := js.Global().Get("Function").New("f", "f()")
	done := make(chan bool)
	go func() {
		head := hold(77)
		call.Invoke(cb)
		done <- check(head, 77)
	}()
	if !<-done {
		t.Error("what a goroutine held during a call back into Go was collected")
	}
}

// A pointer left in the unused part of a parked goroutine's stack (by frames
// that have returned) no longer keeps its object: its finalizer runs. Before
// the patch the GC scanned every stack whole and kept it.
func TestAPointerLeftInAStacksUnusedPartKeepsNothing(t *testing.T) {
	finalized := make(chan struct{}, 1)
	parked := make(chan struct{})
	release := make(chan struct{})
	go func() {
		deep(30, finalized)
		close(parked)
		<-release
	}()
	<-parked
	defer close(release)
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		runtime.GC()
		select {
		case <-finalized:
			return
		default:
		}
		time.Sleep(10 * time.Millisecond) // lets the finalizer goroutine run
	}
	t.Error("an object referenced only from returned frames of a parked goroutine's stack was never finalized")
}

type box struct{ payload [64]byte }

// deep allocates an object at the bottom of a deep call chain, keeps it on
// the stack across calls, and returns: the pointer stays behind in stack
// memory below where the goroutine then parks.
func deep(depth int, finalized chan struct{}) {
	if depth > 0 {
		deep(depth-1, finalized)
		return
	}
	b := &box{}
	runtime.SetFinalizer(b, func(*box) {
		select {
		case finalized <- struct{}{}:
		default:
		}
	})
	churnSmall()
	runtime.KeepAlive(b)
}

//go:noinline
func churnSmall() {
	_ = pattern(32, 1)
}
