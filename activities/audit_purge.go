package activities

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"go.temporal.io/sdk/temporal"
)

// PurgeAuditChunkInput names an exported chunk by its manifest.
type PurgeAuditChunkInput struct {
	Manifest string
	Cutoff   time.Time
}

// PurgeAuditChunkResult counts the records removed (0 when a previous attempt removed them).
type PurgeAuditChunkResult struct {
	Removed int64
}

// PurgeAuditChunk removes from Postgres exactly the records an exported chunk holds. It reads
// the chunk back from storage and checks it against its manifest first, so a record is only
// ever removed once a complete, readable copy of it is stored.
func (a *Audit) PurgeAuditChunk(ctx context.Context, in PurgeAuditChunkInput) (PurgeAuditChunkResult, error) {
	m, err := a.readManifest(ctx, in.Manifest)
	if err != nil {
		return PurgeAuditChunkResult{}, err
	}
	ids, err := a.exportedIDs(ctx, m)
	if err != nil {
		return PurgeAuditChunkResult{}, err
	}
	cutoff := in.Cutoff
	if cutoff.IsZero() || m.Cutoff.Before(cutoff) {
		cutoff = m.Cutoff // never remove more than the export was made for
	}
	n, err := a.Store.PurgeAudit(ctx, ids, cutoff, m.Object)
	return PurgeAuditChunkResult{Removed: n}, err
}

func (a *Audit) readManifest(ctx context.Context, name string) (AuditManifest, error) {
	r, err := a.Storage.Open(ctx, name)
	if err != nil {
		return AuditManifest{}, fmt.Errorf("open %s: %w", name, err)
	}
	defer r.Close()
	var m AuditManifest
	if err := json.NewDecoder(r).Decode(&m); err != nil || m.Format != AuditExportFormat {
		return AuditManifest{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s is not an audit manifest", name), "BadManifest", err)
	}
	return m, nil
}

// exportedIDs reads the chunk m names, checks its digest and count, and returns its record ids.
func (a *Audit) exportedIDs(ctx context.Context, m AuditManifest) ([]int64, error) {
	r, err := a.Storage.Open(ctx, m.Object)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", m.Object, err)
	}
	defer r.Close()
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", m.Object, err)
	}
	sum := sha256.Sum256(raw)
	if hex.EncodeToString(sum[:]) != m.SHA256 {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s does not match its manifest's digest", m.Object), "BadExport", nil)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", m.Object, err)
	}
	ids := make([]int64, 0, m.Count)
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var rec struct {
			ID int64 `json:"id"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil || rec.ID <= 0 {
			return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s holds a malformed record", m.Object), "BadExport", err)
		}
		ids = append(ids, rec.ID)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", m.Object, err)
	}
	if len(ids) != m.Count {
		return nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("%s holds %d records, its manifest says %d", m.Object, len(ids), m.Count), "BadExport", nil)
	}
	return ids, nil
}
