package benchenv

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/redis/go-redis/v9"

	"shopflow/config"
)

// Config is Shopflow's configuration for a run: the production defaults of config.Load, with
// this run's database, Temporal server, a Redis prefix and task queue of its own, report and
// ingest files under dir, a random JWT secret and the sandbox payment provider, then extra
// (KEY=value) on top. It also returns that environment, for the child processes the run starts
// (shopflow ingest).
func Config(dir, databaseURL, redisURL, temporalAddress string, extra ...string) (config.Config, []string, error) {
	run := RandomHex(4)
	env := append([]string{
		"SHOPFLOW_REPORTS_DIR=" + filepath.Join(dir, "reports"),
		"SHOPFLOW_INGEST_DIR=" + filepath.Join(dir, "ingest"),
		"SHOPFLOW_INGEST_INBOX=" + filepath.Join(dir, "ingest", "inbox"),
		"SHOPFLOW_DATABASE_URL=" + databaseURL,
		"SHOPFLOW_REDIS_URL=" + redisURL,
		"SHOPFLOW_REDIS_PREFIX=shopflow-bench-" + run + ":",
		"SHOPFLOW_TEMPORAL_ADDRESS=" + temporalAddress,
		"SHOPFLOW_TASK_QUEUE=shopflow-bench-" + run,
		"SHOPFLOW_JWT_SECRET=" + RandomHex(32),
		"SHOPFLOW_PAYMENT_PROVIDER=sandbox",
		// One load generator on one address stands for many shoppers: no per-IP budgets.
		"SHOPFLOW_RATE_LIMIT_AUTH=0", "SHOPFLOW_RATE_LIMIT_WRITES=0", "SHOPFLOW_RATE_LIMIT_READS=0",
	}, extra...)
	cfg, err := config.Load(env)
	if err != nil {
		return cfg, nil, fmt.Errorf("benchmark configuration: %w", err)
	}
	return cfg, env, nil
}

// DeleteRedisKeys removes the keys under the run's prefix.
func DeleteRedisKeys(ctx context.Context, redisURL, prefix string) error {
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return err
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	for iter.Next(ctx) {
		if err := rdb.Unlink(ctx, iter.Val()).Err(); err != nil {
			return err
		}
	}
	return iter.Err()
}

// Logger formats Shopflow's records at info as production does (JSON), so the cost of logging
// is part of what is measured, but writes them nowhere; errors also go to stderr. Warnings stay
// out of sight: under load the worker warns about every notification for a channel the run
// leaves unconfigured (email, SMS).
func Logger(stderr io.Writer) *slog.Logger {
	return slog.New(slog.NewMultiHandler(
		slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}),
		slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}),
	))
}

// Machine describes where a run happens: CPUs, CPU model, Go version and load average.
func Machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%d CPUs (%s), %s, load average %s", runtime.NumCPU(), model, runtime.Version(), LoadAverage())
}

// LoadAverage is the 1, 5 and 15-minute load averages.
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

// CommandLine is how this run was started, as `go run ./bench/NAME args`, quoted for a shell.
func CommandLine(name string) string {
	args := []string{"go", "run", "./bench/" + name}
	for _, a := range os.Args[1:] {
		if a == "" || strings.ContainsAny(a, " '\"$") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		args = append(args, a)
	}
	return strings.Join(args, " ")
}
