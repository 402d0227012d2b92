// Package conc runs independent calls at once: the KV calls of one request
// that do not depend on each other, so a request waits for the slowest, not
// for their sum. Its goroutines are reused (Go).
package conc

// All runs fns at once and returns the error of the first of them (in the
// order given) that failed, after all have returned. The last runs on the
// calling goroutine, the others on goroutines of Go. A panic in any of them
// is raised again on the calling goroutine once all have returned, so that
// the caller's recover sees it (a panic on another goroutine would end the
// program).
func All(fns ...func() error) error {
	switch len(fns) {
	case 0:
		return nil
	case 1:
		return fns[0]()
	}
	outcomes := make([]outcome, len(fns))
	done := make(chan struct{}, len(fns)-1)
	for i, f := range fns[:len(fns)-1] {
		Go(func() {
			outcomes[i] = run(f)
			done <- struct{}{}
		})
	}
	outcomes[len(fns)-1] = run(fns[len(fns)-1])
	for range len(fns) - 1 {
		<-done
	}
	for _, o := range outcomes {
		if o.panicked {
			panic(o.panicValue)
		}
	}
	for _, o := range outcomes {
		if o.err != nil {
			return o.err
		}
	}
	return nil
}

// outcome is how one call of All ended.
type outcome struct {
	err        error
	panicked   bool
	panicValue any
}

func run(f func() error) (o outcome) {
	defer func() {
		if o.panicked {
			o.panicValue = recover()
		}
	}()
	o.panicked = true
	o.err = f()
	o.panicked = false
	return o
}
