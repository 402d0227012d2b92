package store

import (
	"testing"

	"github.com/chatwidget/identity/internal/jsonwrite/jsonwritetest"
)

func TestRecordsWriteWhatMarshalWrites(t *testing.T) {
	for _, b := range storedSummaries(t) {
		jsonwritetest.MatchesDecoded[summaryMeta](t, b)
		jsonwritetest.MatchesDecoded[sessionRecord](t, b)
	}
	jsonwritetest.Matches(t, sessionRecord{})
	jsonwritetest.Matches(t, summaryMeta{})
}

func FuzzSummaryJSON(f *testing.F) {
	for _, b := range storedSummaries(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		jsonwritetest.MatchesDecoded[summaryMeta](t, b)
		jsonwritetest.MatchesDecoded[sessionRecord](t, b)
	})
}
