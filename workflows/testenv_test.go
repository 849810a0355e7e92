package workflows

import (
	"testing"

	"go.temporal.io/sdk/testsuite"
)

// newTestEnv is a workflow test environment whose SDK logging is silenced.
func newTestEnv() *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(replayLogger())
	return suite.NewTestWorkflowEnvironment()
}

// completed is the result of a workflow that must have completed without error.
func completed[T any](t *testing.T, env *testsuite.TestWorkflowEnvironment) T {
	t.Helper()
	var r T
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow error: %v", err)
	}
	if err := env.GetWorkflowResult(&r); err != nil {
		t.Fatal(err)
	}
	return r
}
