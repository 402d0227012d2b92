package webhook_test

import (
	"encoding/json"
	"testing"

	"github.com/chatwidget/identity/internal/queue"
	"github.com/chatwidget/identity/internal/webhook"
)

type inner struct{ S string }

func (i inner) MarshalJSON() ([]byte, error) { return json.Marshal(map[string]string{"s": i.S}) }

// Marshal writes what json.Marshal escapes for HTML as the characters,
// also inside a MarshalJSON method's output; a string that holds the
// text of an escape ("\u003c" itself) keeps it; control characters stay
// escaped. The result reads back as the same data, and a queue message
// carries it byte for byte.
func TestMarshalWithoutHTMLEscapes(t *testing.T) {
	v := map[string]any{
		"a": "<b>&</b>\u2028\u2029",
		"b": `\u003c \\u003e "\u0026"`,
		"c": "\x01\x1f\t\"\\",
		"d": inner{"<&>"},
		"<": "é😀",
	}
	got, err := webhook.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"<":"é😀","a":"<b>&</b>` + "\u2028\u2029" + `","b":"\\u003c \\\\u003e \"\\u0026\"","c":"\u0001\u001f\t\"\\","d":{"s":"<&>"}}`
	if string(got) != want {
		t.Errorf("Marshal:\n got %s\nwant %s", got, want)
	}
	var back, orig map[string]any
	plain, _ := json.Marshal(v)
	if json.Unmarshal(got, &back) != nil || json.Unmarshal(plain, &orig) != nil {
		t.Fatal("does not read back")
	}
	if b1, _ := json.Marshal(back); string(b1) != string(plain) {
		t.Errorf("reads back as %s, want %s", b1, plain)
	}
	msg, err := queue.Encode(webhook.Kind, webhook.Job{Org: "o", ID: "i", Payload: got})
	if err != nil {
		t.Fatal(err)
	}
	_, data, _ := queue.Decode(msg)
	var job webhook.Job
	if err := json.Unmarshal(data, &job); err != nil || string(job.Payload) != want {
		t.Errorf("through a queue message the payload is %s (%v)", job.Payload, err)
	}
}
