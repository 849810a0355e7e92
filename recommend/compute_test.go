package recommend

import (
	"testing"

	"shopflow/store"
)

// TestRebuildOnlyForLargeBacklogs: a rebuild costs the window's orders plus the backlog, so it
// is chosen only when the backlog is both large and at least as large as what is counted.
func TestRebuildOnlyForLargeBacklogs(t *testing.T) {
	for _, tc := range []struct {
		name    string
		backlog store.RecsBacklog
		want    bool
	}{
		{"first build", store.RecsBacklog{PendingBlocks: rebuildMinBlocks}, true},
		{"small first build", store.RecsBacklog{PendingBlocks: rebuildMinBlocks - 1}, false},
		{"hourly run over a large history", store.RecsBacklog{PendingBlocks: 10, OrderBlocks: 100 * rebuildMinBlocks}, false},
		{"large backlog, larger history", store.RecsBacklog{PendingBlocks: 2 * rebuildMinBlocks, OrderBlocks: 3 * rebuildMinBlocks}, false},
		{"backlog as large as the history", store.RecsBacklog{PendingBlocks: 2 * rebuildMinBlocks, OrderBlocks: 2 * rebuildMinBlocks}, true},
	} {
		if got := rebuild(tc.backlog); got != tc.want {
			t.Errorf("%s: rebuild(%+v) = %v, want %v", tc.name, tc.backlog, got, tc.want)
		}
	}
}
