//go:build js && wasm

package bridge

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall/js"

	"github.com/chatwidget/identity/internal/conc"
	"github.com/chatwidget/identity/internal/queue"
)

// RegisterQueue sets target.handleQueue to a function that hands one batch
// of a Cloudflare Queue to c, as Register does for requests. worker.mjs's
// queue() calls it (through glue.js's goBridgeQueue) as
//
//	handleQueue(ids, bodies, attempts, respond, reject)
//
// with three arrays of the batch's message ids, bodies (text) and attempt
// counts, and respond(outcomes) the function that applies c's Outcomes:
// one string of comma-separated numbers, -1 for ack and n >= 0 for a retry
// after n seconds. A DeadLetter Outcome that reaches it (c was not wrapped
// in queue.WithDeadLetters) is a retry after queue.MaxDelay. A panic in c
// answers a retry of the whole batch after a minute.
func RegisterQueue(target js.Value, c queue.Consumer) {
	target.Set("handleQueue", js.FuncOf(func(_ js.Value, args []js.Value) any {
		if len(args) < 5 {
			return nil
		}
		ids, bodies, attempts, respond, reject := args[0], args[1], args[2], args[3], args[4]
		var batch []queue.Message
		if p := catch(func() { batch = messagesFromJS(ids, bodies, attempts) }); p != nil {
			reject.Invoke(jsError.New(fmt.Sprint("handleQueue: ", p)))
			return nil
		}
		conc.Go(func() { consume(c, batch, respond, reject) })
		return nil
	}))
}

func catch(f func()) (p any) {
	defer func() { p = recover() }()
	f()
	return nil
}

func messagesFromJS(ids, bodies, attempts js.Value) []queue.Message {
	n := ids.Length()
	batch := make([]queue.Message, n)
	for i := range n {
		batch[i] = queue.Message{
			ID:       ids.Index(i).String(),
			Body:     []byte(bodies.Index(i).String()),
			Attempts: attempts.Index(i).Int(),
		}
	}
	return batch
}

func consume(c queue.Consumer, batch []queue.Message, respond, reject js.Value) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out []queue.Outcome
	if p := catch(func() { out = c.Consume(ctx, batch) }); p != nil {
		fmt.Printf("bridge: panic consuming a batch of %d: %v\n", len(batch), p)
		out = make([]queue.Outcome, len(batch))
		for i := range out {
			out[i] = queue.Retry(PanicRetry)
		}
	}
	if p := catch(func() { respond.Invoke(OutcomeLine(out, len(batch))) }); p != nil {
		reject.Invoke(jsError.New(fmt.Sprint("handleQueue: ", p)))
	}
}

// PanicRetry is when a batch whose Consumer panicked is delivered again.
const PanicRetry = queue.PanicRetryDelay

// OutcomeLine is handleQueue's answer for n messages: out's Outcomes as
// comma-separated numbers (-1 ack, n >= 0 retry after n seconds), a missing
// one a retry at once.
func OutcomeLine(out []queue.Outcome, n int) string {
	var sb strings.Builder
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		o := queue.Retry(0)
		if i < len(out) {
			o = out[i]
		}
		switch {
		case o.IsDeadLetter():
			sb.WriteString(strconv.Itoa(queue.Seconds(queue.MaxDelay)))
		case o.IsRetry():
			sb.WriteString(strconv.Itoa(queue.Seconds(o.Delay())))
		default:
			sb.WriteString("-1")
		}
	}
	return sb.String()
}
