package worker

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nexus-rpc/sdk-go/nexus"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/workflow"

	"shopflow/config"
)

// registry records what a queue role registers: workflow type names with the Go function
// behind each, and activity struct type names.
type registry struct {
	workflows  map[string]string // type name -> function name in package workflows
	activities []string          // e.g. "Checkout" for *activities.Checkout
}

func (r *registry) RegisterWorkflow(any) { panic("register workflows under their stable names") }
func (r *registry) RegisterWorkflowWithOptions(w any, o workflow.RegisterOptions) {
	fn := runtime.FuncForPC(reflect.ValueOf(w).Pointer()).Name()
	r.workflows[o.Name] = fn[strings.LastIndex(fn, ".")+1:]
}
func (r *registry) RegisterDynamicWorkflow(any, workflow.DynamicRegisterOptions) {}
func (r *registry) RegisterActivity(a any) {
	r.activities = append(r.activities, reflect.TypeOf(a).Elem().Name())
}
func (r *registry) RegisterActivityWithOptions(a any, _ activity.RegisterOptions) {
	r.RegisterActivity(a)
}
func (r *registry) RegisterDynamicActivity(any, activity.DynamicRegisterOptions) {}
func (r *registry) RegisterNexusService(*nexus.Service)                          {}

func registered(role string) *registry {
	r := &registry{workflows: map[string]string{}}
	registerRole(r, Deps{}, role)
	return r
}

// Each workflow type is registered on exactly one queue, and on the one the contract names:
// sagas and what a shopper waits on on checkout, the rest on batch.
func TestEachWorkflowRunsOnItsQueue(t *testing.T) {
	checkout, batch := registered(config.QueueCheckout), registered(config.QueueBatch)
	for _, name := range []string{"Checkout", "CancelPlaced", "IssueRefund", "Return", "DeliverOutbox"} {
		if _, ok := checkout.workflows[name]; !ok {
			t.Errorf("workflow %s is not on the checkout queue", name)
		}
	}
	for _, name := range []string{"IngestBatch", "TopSellers", "DailyReport", "SellerDigest", "IndexSearch", "ReindexSearch",
		"Recommendations", "AnnouncePromotion", "AuditRetention", "ExportCustomerData", "EraseCustomer", "ExpireIdempotencyKeys"} {
		if _, ok := batch.workflows[name]; !ok {
			t.Errorf("workflow %s is not on the batch queue", name)
		}
	}
	for name := range checkout.workflows {
		if _, ok := batch.workflows[name]; ok {
			t.Errorf("workflow %s is registered on both queues", name)
		}
	}
	if len(checkout.workflows)+len(batch.workflows) < 20 {
		t.Errorf("%d + %d workflow types registered, want every one of the 20", len(checkout.workflows), len(batch.workflows))
	}
}

// An activity runs on its workflow's task queue, and a child workflow on its parent's: every
// activity group a workflow's code refers to (directly or through the functions it calls) and
// every child it starts must be registered on the workflow's queue. Read from the source of
// package workflows, so a new call is checked without this test changing.
func TestWorkflowsFindTheirActivitiesAndChildrenOnTheirQueue(t *testing.T) {
	src := parseWorkflows(t)
	groups := activityGroups(t)
	for _, role := range []string{config.QueueCheckout, config.QueueBatch} {
		r := registered(role)
		for name, fn := range r.workflows {
			called, children := src.reach(fn)
			for _, g := range called {
				if groups[g] && !slices.Contains(r.activities, g) {
					t.Errorf("%s queue: workflow %s calls activities.%s, not registered there", role, name, g)
				}
			}
			for _, c := range children {
				if _, ok := r.workflows[c]; !ok {
					t.Errorf("%s queue: workflow %s starts child %s, not registered there", role, name, c)
				}
			}
		}
	}
}

// activityGroups are the types of package activities with methods (activity groups), as
// opposed to inputs and results.
func activityGroups(t *testing.T) map[string]bool {
	groups := map[string]bool{}
	for _, f := range parsePackage(t, "activities") {
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv != nil && fn.Name.IsExported() {
				if star, ok := fn.Recv.List[0].Type.(*ast.StarExpr); ok {
					if id, ok := star.X.(*ast.Ident); ok {
						groups[id.Name] = true
					}
				}
			}
		}
	}
	return groups
}

// parsePackage parses the non-test Go files of the module's package dir.
func parsePackage(t *testing.T, dir string) []*ast.File {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// workflowSource is package workflows' code: per function or method name, the activity groups
// it names, the functions it calls and the child workflow types it starts.
type workflowSource struct {
	groups, calls, children map[string][]string
}

func parseWorkflows(t *testing.T) workflowSource {
	consts := map[string]string{}
	var decls []*ast.FuncDecl
	for _, f := range parsePackage(t, "workflows") {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				for i, id := range n.Names {
					if i < len(n.Values) {
						if lit, ok := n.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[id.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			case *ast.FuncDecl:
				decls = append(decls, n)
			}
			return true
		})
	}
	s := workflowSource{groups: map[string][]string{}, calls: map[string][]string{}, children: map[string][]string{}}
	for _, d := range decls {
		name := d.Name.Name
		ast.Inspect(d, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.StarExpr: // workflow code names an activity group as a nil *activities.X
				if sel, ok := n.X.(*ast.SelectorExpr); ok {
					if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "activities" {
						s.groups[name] = append(s.groups[name], sel.Sel.Name)
					}
				}
			case *ast.CallExpr:
				switch fn := n.Fun.(type) {
				case *ast.Ident:
					s.calls[name] = append(s.calls[name], fn.Name)
				case *ast.SelectorExpr:
					s.calls[name] = append(s.calls[name], fn.Sel.Name)
					if fn.Sel.Name == "ExecuteChildWorkflow" && len(n.Args) > 1 {
						if id, ok := n.Args[1].(*ast.Ident); ok {
							s.children[name] = append(s.children[name], consts[id.Name])
						}
					}
				}
			}
			return true
		})
	}
	return s
}

// reach is every activity group and child workflow type fn's code can get to. Methods are
// followed by name alone, which can only add groups, never miss one.
func (s workflowSource) reach(fn string) (groups, children []string) {
	seen := map[string]bool{}
	var visit func(string)
	visit = func(f string) {
		if seen[f] {
			return
		}
		seen[f] = true
		groups = append(groups, s.groups[f]...)
		children = append(children, s.children[f]...)
		for _, c := range s.calls[f] {
			visit(c)
		}
	}
	visit(fn)
	return groups, children
}
