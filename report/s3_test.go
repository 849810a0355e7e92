package report_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"shopflow/report"
)

// startMinIO runs a real MinIO server from bin/minio on free local ports, until the test ends.
func startMinIO(t *testing.T) report.S3Config {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	bin := filepath.Join(filepath.Dir(file), "..", "bin", "minio")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s is missing: run scripts/install-minio.sh (the S3 storage is tested against a real MinIO)", bin)
	}
	addr, console := freeAddr(t), freeAddr(t)
	cfg := report.S3Config{Endpoint: addr, Bucket: "reports-test", AccessKey: "shopflow-test", SecretKey: "shopflow-test-secret",
		Region: "us-east-1", Prefix: "reports/"}
	cmd := exec.Command(bin, "server", t.TempDir(), "--address", addr, "--console-address", console, "--quiet")
	cmd.Env = append(os.Environ(), "MINIO_ROOT_USER="+cfg.AccessKey, "MINIO_ROOT_PASSWORD="+cfg.SecretKey,
		"MINIO_BROWSER=off", "MINIO_UPDATE=off")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start minio: %v", err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(pid, syscall.SIGKILL)
			<-done
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/minio/health/live")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("minio not live on %s after 60s: %v\n%s", addr, err, logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	return cfg
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestS3StorageAgainstMinIO(t *testing.T) {
	cfg := startMinIO(t)
	ctx := context.Background()
	st, err := report.NewS3(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureBucket(ctx); err != nil {
		t.Fatal(err)
	}

	if _, err := st.Open(ctx, "2026-11-20/manifest.json"); !errors.Is(err, report.ErrNotFound) {
		t.Fatalf("missing object: %v, want ErrNotFound", err)
	}
	if err := st.Put(ctx, "misc/a.csv", strings.NewReader("one")); err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, "misc/a.csv", strings.NewReader("two")); err != nil {
		t.Fatal(err)
	}
	if got := string(readAll(t, st, "misc/a.csv")); got != "two" {
		t.Fatalf("read %q after replacing, want two", got)
	}
	if err := st.Put(ctx, "../escape", strings.NewReader("x")); err == nil {
		t.Fatal("a name climbing out was accepted")
	}

	// A whole day through the S3 storage, from a real database: the same bytes as locally.
	pool, _ := seedDay(t)
	m := build(t, pool, st)
	local := report.Local{Dir: t.TempDir()}
	if lm := build(t, pool, local); fmt.Sprint(lm) != fmt.Sprint(m) {
		t.Fatalf("S3 manifest differs from the local one")
	}
	objs, err := st.List(ctx, testDate+"/")
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != len(m.Files)+1 {
		t.Errorf("listed %d objects, want %d files and the manifest", len(objs), len(m.Files))
	}
	for _, f := range m.Files {
		if b := readAll(t, st, report.DayPath(testDate, f.Name)); sha(b) != f.SHA256 {
			t.Errorf("%s: sha %s, manifest says %s", f.Name, sha(b), f.SHA256)
		}
	}
	if got, err := report.ReadManifest(ctx, st, testDate); err != nil || len(got.Files) != len(m.Files) {
		t.Fatalf("manifest through S3: %v", err)
	}
	if err := st.Delete(ctx, report.DayPath(testDate, report.ManifestName)); err != nil {
		t.Fatal(err)
	}
	if _, err := report.ReadManifest(ctx, st, testDate); !errors.Is(err, report.ErrNotFound) {
		t.Fatalf("deleted manifest: %v", err)
	}
}
