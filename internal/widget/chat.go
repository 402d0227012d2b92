package widget

import "context"

// SessionListLimit is how many past sessions the panel lists.
const SessionListLimit = 50

// Sessions lists the person's past sessions, newest first, scoped by the
// config's externalId.
func (w *Widget) Sessions(ctx context.Context) ([]Session, error) {
	var page *SessionPage
	err := w.authed(ctx, func(bearer string) (err error) {
		page, err = w.client.ListSessions(ctx, bearer, w.cfg.ExternalID, "", SessionListLimit)
		return err
	})
	if err != nil {
		return nil, err
	}
	if page.Items == nil {
		return []Session{}, nil
	}
	return page.Items, nil
}

// maxSessionReads bounds the GETs one Session call makes: 100,000 messages
// and more, however the worker splits them.
const maxSessionReads = 20

// Session returns a session and its messages, oldest first, only those after
// the message id after when it is not "". One answer of the worker holds at
// most 5,000 messages (and 4 MiB of them): Session asks again after the
// last one until it has the session's last message, so that the panel shows
// the newest, and a message the visitor sends (its id then the newest the
// page has) leaves none unread behind it. A failure after the first answer
// returns what came: the next Sync goes on after it.
func (w *Widget) Session(ctx context.Context, id, after string) (*SessionMessages, error) {
	var out *SessionMessages
	for reads := 0; reads < maxSessionReads; reads++ {
		var page *SessionMessages
		err := w.authed(ctx, func(bearer string) (err error) {
			page, err = w.client.GetSession(ctx, bearer, id, after)
			return err
		})
		if err != nil {
			if out != nil {
				break
			}
			return nil, err
		}
		if out == nil {
			out = page
		} else {
			out.Session = page.Session
			out.Messages = append(out.Messages, page.Messages...)
		}
		n := len(page.Messages)
		if n == 0 || page.Session.LastMessage == nil || page.Messages[n-1].ID >= page.Session.LastMessage.ID {
			break
		}
		after = page.Messages[n-1].ID
	}
	if out.Messages == nil {
		out.Messages = []Message{}
	}
	return out, nil
}

// SyncResult is what changed since the UI last asked.
type SyncResult struct {
	// Flush is what the outbox flush before the read did.
	Flush FlushReport `json:"flush"`
	// Messages are the session's messages after the one the UI has, oldest
	// first (nil when no session was asked for).
	Messages []Message `json:"messages"`
}

// Sync sends what is waiting in the outbox, then returns the messages of
// session id after the message id after. The UI calls it every few seconds
// while a chat is open, so agent replies appear without a reload and unsent
// messages go out as soon as the worker is back. A failure to reach the
// worker is not an error here: the messages are just empty.
func (w *Widget) Sync(ctx context.Context, id, after string) (*SyncResult, error) {
	res := &SyncResult{Flush: w.Flush(ctx), Messages: []Message{}}
	if id == "" {
		return res, nil
	}
	sm, err := w.Session(ctx, id, after)
	if err != nil {
		if IsNetwork(err) {
			return res, nil
		}
		return res, err
	}
	res.Messages = sm.Messages
	return res, nil
}
