package conc

// Go runs f on a goroutine that waits for work, or on a new one when none
// waits. A goroutine that has run f waits for the next f instead of exiting,
// up to MaxIdle of them; beyond that, a burst gets goroutines of its own,
// which exit afterwards.
//
// Why: a new goroutine starts with a small stack, which a request grows
// several times on its way down the handler, and in the Worker that copying
// was a visible part of every request's CPU. The worker's requests
// (worker/bridge), All's calls and the API's signature checks all run here.
func Go(f func()) {
	select {
	case work <- f:
	default:
		go worker(f)
	}
}

// MaxIdle is how many goroutines wait for work at most.
const MaxIdle = 32

// work hands f to a waiting goroutine; idle holds a token for each goroutine
// that waits (or is about to), so that at most MaxIdle wait.
var (
	work = make(chan func())
	idle = make(chan struct{}, MaxIdle)
)

func worker(f func()) {
	for {
		f()
		select {
		case idle <- struct{}{}:
		default:
			return // MaxIdle goroutines wait already
		}
		f = <-work
		<-idle
	}
}
