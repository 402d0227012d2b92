//go:build js && wasm

package bridge

// Requests run on reused goroutines. A new goroutine starts with a small
// stack that a request grows several times on its way down the handler, and
// that copying was a visible part of every request's CPU. A goroutine that
// finished a request now waits for the next one instead of exiting, up to
// maxIdle of them; beyond that, a burst of concurrent requests gets
// goroutines of their own, which exit afterwards.
const maxIdle = 32

// work hands a request to a waiting goroutine; idle holds a token for each
// goroutine that waits (or is about to), so that at most maxIdle wait.
var (
	work = make(chan func())
	idle = make(chan struct{}, maxIdle)
)

// spawn runs f on a waiting goroutine, or on a new one when none waits.
func spawn(f func()) {
	select {
	case work <- f:
	default:
		go worker(f)
	}
}

func worker(f func()) {
	for {
		f()
		select {
		case idle <- struct{}{}:
		default:
			return // maxIdle goroutines wait already
		}
		f = <-work
		<-idle
	}
}
