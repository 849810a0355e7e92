package e2e

import (
	"net/http"
	"testing"

	"shopflow/workflows"
)

// TestRecordDataRightsHistories records, for workflows/replay_test.go, an export that became
// ready and an erasure that ran every step, the way TestRecordHistories does for the checkout:
//
//	go test ./e2e -run TestRecordDataRightsHistories -record-histories
func TestRecordDataRightsHistories(t *testing.T) {
	if !recording() {
		t.Skip("records histories only with -record-histories or SHOPFLOW_RECORD_HISTORIES=1")
	}
	e := newEnv(t)
	p := e.newPerson()
	e.newProduct(5, 1000)
	var started struct {
		ID string `json:"id"`
	}
	e.mustSend(request{method: "POST", path: "/api/v1/users/me/export", token: p.Token}, &started, http.StatusAccepted)
	e.awaitExportReady(p.account, started.ID)
	e.saveHistory("datarights_export_ready", workflows.ExportWorkflowID(started.ID))

	e.mustSend(request{method: "DELETE", path: "/api/v1/users/me", token: p.Token, body: map[string]string{"current_password": p.password}},
		nil, http.StatusAccepted)
	e.awaitErasure(p.ID)
	e.saveHistory("datarights_erase_done", workflows.EraseWorkflowID(p.ID))
}
