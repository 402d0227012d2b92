// Package conc runs independent calls at once: the KV calls of one request
// that do not depend on each other, so a request waits for the slowest, not
// for their sum.
package conc

// All runs fns at once and returns the first error, after all have returned.
func All(fns ...func() error) error {
	if len(fns) == 1 {
		return fns[0]()
	}
	errs := make(chan error, len(fns))
	for _, f := range fns {
		go func() { errs <- f() }()
	}
	var first error
	for range fns {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}
