package activities

import (
	"archive/zip"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"shopflow/errs"
	"shopflow/report"
	"shopflow/store"
)

// DataRights holds the dependencies of customers' data exports and erasures.
type DataRights struct {
	Store *store.Store
	// Files is report storage, where export archives are written (under exports/<user id>/).
	Files report.Storage
	// Redis and RedisPrefix: erasure deletes the keys that hold the customer's id or email.
	Redis       redis.UniversalClient
	RedisPrefix string
	// PublicURL is the shop's public address (SHOPFLOW_PUBLIC_URL), the base of the download
	// link in the export notice; empty gives a path relative to the API's host.
	PublicURL string
	Logger    *slog.Logger
	// PageSize is how many rows one query of an export reads; zero is 500.
	PageSize int
}

// ErrExportRefused is the type of BuildExport's error for an export that must not be built
// (its account is being erased, or it no longer exists): retrying cannot help.
const ErrExportRefused = "ExportRefused"

// ExportNoticeKind is the notification kind of "your data export is ready".
const ExportNoticeKind = "data_export_ready"

// BuildExportInput names the export to build.
type BuildExportInput struct {
	ExportID string
}

// BuildExportResult says where the archive is and what it holds.
type BuildExportResult struct {
	StorageKey string
	Counts     map[string]int64
	Rows       int64
}

// ExportArchiveKey is the name of an export's archive in report storage.
func ExportArchiveKey(userID, exportID string) string {
	return "exports/" + userID + "/" + exportID + ".zip"
}

// BuildExport writes the customer's data to one zip archive in report storage: a JSON file per
// section (store.ExportSections) and manifest.json with counts. It reads page by page,
// heartbeating and recording the rows written, so a dead worker is noticed and a customer
// watching the status sees it move. A retry writes the whole archive again (Put is atomic).
func (a *DataRights) BuildExport(ctx context.Context, in BuildExportInput) (BuildExportResult, error) {
	exp, err := a.Store.DataExportByID(ctx, in.ExportID)
	if errs.Is(err, errs.NotFound) {
		return BuildExportResult{}, temporal.NewNonRetryableApplicationError("export not found", ErrExportRefused, err)
	}
	if err != nil {
		return BuildExportResult{}, err
	}
	if exp.Status == store.ExportReady {
		var rows int64
		for _, n := range exp.Counts {
			rows += n
		}
		return BuildExportResult{StorageKey: exp.StorageKey, Counts: exp.Counts, Rows: rows}, nil
	}
	if _, err := a.Store.ErasureOf(ctx, exp.UserID); err == nil {
		return BuildExportResult{}, temporal.NewNonRetryableApplicationError("the account is being erased", ErrExportRefused, nil)
	}
	key := ExportArchiveKey(exp.UserID, exp.ID)
	pr, pw := io.Pipe()
	done := make(chan BuildExportResult, 1)
	go func() {
		res, err := a.writeArchive(ctx, exp, pw)
		done <- res
		pw.CloseWithError(err)
	}()
	err = a.Files.Put(ctx, key, pr)
	pr.CloseWithError(errors.New("archive not read to the end")) // unblocks the writer if Put gave up
	res := <-done
	if err != nil {
		return BuildExportResult{}, fmt.Errorf("write export %s: %w", exp.ID, err)
	}
	res.StorageKey = key
	return res, nil
}

// writeArchive streams the archive into w.
func (a *DataRights) writeArchive(ctx context.Context, exp store.DataExport, w io.Writer) (BuildExportResult, error) {
	res := BuildExportResult{Counts: map[string]int64{}}
	zw := zip.NewWriter(w)
	limit := a.PageSize
	if limit <= 0 {
		limit = 500
	}
	for _, section := range store.ExportSections {
		f, err := zw.Create(section + ".json")
		if err != nil {
			return res, err
		}
		if _, err := io.WriteString(f, "["); err != nil {
			return res, err
		}
		after := ""
		for {
			page, err := a.Store.ExportSectionPage(ctx, exp.UserID, section, after, limit)
			if err != nil {
				return res, err
			}
			for _, row := range page.Rows {
				sep := ",\n"
				if res.Counts[section] == 0 {
					sep = "\n"
				}
				if _, err := io.WriteString(f, sep); err != nil {
					return res, err
				}
				if _, err := f.Write(row); err != nil {
					return res, err
				}
				res.Counts[section]++
				res.Rows++
			}
			activity.RecordHeartbeat(ctx, res.Rows)
			if err := a.Store.SetExportProgress(ctx, exp.ID, res.Rows); err != nil {
				return res, err
			}
			if len(page.Rows) < limit {
				break
			}
			after = page.Last
		}
		if _, err := io.WriteString(f, "\n]\n"); err != nil {
			return res, err
		}
	}
	manifest, err := json.MarshalIndent(map[string]any{
		"export_id": exp.ID, "user_id": exp.UserID, "requested_at": exp.CreatedAt, "format": 1,
		"files": fileNames(), "counts": res.Counts,
	}, "", "  ")
	if err != nil {
		return res, err
	}
	f, err := zw.Create("manifest.json")
	if err == nil {
		_, err = f.Write(manifest)
	}
	if err == nil {
		err = zw.Close()
	}
	return res, err
}

func fileNames() []string {
	names := make([]string, len(store.ExportSections))
	for i, s := range store.ExportSections {
		names[i] = s + ".json"
	}
	return names
}

// FinishExportInput is a built export and how long its link works.
type FinishExportInput struct {
	ExportID   string
	StorageKey string
	Counts     map[string]int64
	Rows       int64
	LinkTTL    time.Duration
}

// FinishExportResult says whether this call made the export ready (false: it was before).
type FinishExportResult struct {
	Made bool
}

// FinishExport makes the export ready with a fresh download token (only its hash is kept) and
// queues the notice with the link in the same transaction; an export already ready keeps the
// link that was sent.
func (a *DataRights) FinishExport(ctx context.Context, in FinishExportInput) (FinishExportResult, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return FinishExportResult{}, err
	}
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	link := strings.TrimRight(a.PublicURL, "/") + "/api/v1/users/me/exports/" + in.ExportID + "/download?token=" + url.QueryEscape(token)
	made, err := a.Store.FinishDataExport(ctx, store.ExportLink{
		ExportID: in.ExportID, StorageKey: in.StorageKey, Counts: in.Counts, Rows: in.Rows, TTL: in.LinkTTL, Token: token,
		Notice: func(expires time.Time) store.Notice {
			return store.Notice{Key: "export:" + in.ExportID, Kind: ExportNoticeKind,
				Subject: "Your data export is ready",
				Text: fmt.Sprintf("Your data export is ready. Download it until %s UTC: %s",
					expires.UTC().Format("2006-01-02 15:04"), link),
				Data: map[string]any{"export_id": in.ExportID, "expires_at": expires.UTC(), "url": link}}
		},
	})
	if err != nil || made {
		return FinishExportResult{Made: made}, err
	}
	// An erasure that ran while the archive was being written deleted the export's row (and
	// the files it found then): this archive must not outlive it.
	if _, err := a.Store.DataExportByID(ctx, in.ExportID); errs.Is(err, errs.NotFound) {
		return FinishExportResult{}, a.Files.Delete(ctx, in.StorageKey)
	} else if err != nil {
		return FinishExportResult{}, err
	}
	return FinishExportResult{}, nil
}

// FailExportInput names an export that could not be built.
type FailExportInput struct {
	ExportID string
	Reason   string
}

// FailExport marks the export failed, so its status says so instead of running forever.
func (a *DataRights) FailExport(ctx context.Context, in FailExportInput) error {
	return a.Store.FailDataExport(ctx, in.ExportID, in.Reason)
}
