package activities

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"shopflow/report"
	"shopflow/store"
)

// Audit holds what the audit retention job needs: Postgres, where the records are, and the
// report storage the old ones are exported to before they are removed.
type Audit struct {
	Store   *store.Store
	Storage report.Storage
}

// AuditExportFormat names the export format (docs/AFTERSALE.md): gzip JSON Lines, one
// store.AuditEntry per line in id order, beside a manifest.
const AuditExportFormat = "shopflow.audit.v1"

// AuditManifest describes one exported chunk. It is written after the chunk, so a manifest
// always names a complete file, and the purge trusts only records a manifest vouches for.
type AuditManifest struct {
	Format  string    `json:"format"`
	Object  string    `json:"object"`
	Cutoff  time.Time `json:"cutoff"`
	FirstID int64     `json:"first_id"`
	LastID  int64     `json:"last_id"`
	Count   int       `json:"count"`
	From    time.Time `json:"from"` // created_at of the oldest record in the chunk
	To      time.Time `json:"to"`   // created_at of the newest
	SHA256  string    `json:"sha256"`
	Bytes   int64     `json:"bytes"`
}

// AuditChunkNames are a chunk's object and manifest names: audit/<first id>_<last id>, ids
// zero-padded so names sort in id order.
func AuditChunkNames(firstID, lastID int64) (object, manifest string) {
	base := fmt.Sprintf("audit/%020d_%020d", firstID, lastID)
	return base + ".jsonl.gz", base + ".manifest.json"
}

// ExportAuditChunkInput selects the next chunk: records older than Cutoff after AfterID.
type ExportAuditChunkInput struct {
	Cutoff  time.Time
	AfterID int64
	Limit   int
}

// ExportAuditChunkResult says what was exported; Count 0 means nothing is left.
type ExportAuditChunkResult struct {
	Count           int
	FirstID, LastID int64
	Manifest        string
	Bytes           int64
}

// ExportAuditChunk writes the next chunk of old records and its manifest to storage. It reads
// the same records each time it runs until they are purged, and writes the same bytes under
// the same names, so a retry or a rerun after a crash is harmless.
func (a *Audit) ExportAuditChunk(ctx context.Context, in ExportAuditChunkInput) (ExportAuditChunkResult, error) {
	entries, err := a.Store.OldAuditRecords(ctx, in.Cutoff, in.AfterID, max(in.Limit, 1))
	if err != nil || len(entries) == 0 {
		return ExportAuditChunkResult{}, err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf) // no name and a zero time in the header: the same records give the same bytes
	enc := json.NewEncoder(zw)
	for i := range entries {
		entries[i].CreatedAt = entries[i].CreatedAt.UTC()
		if err := enc.Encode(entries[i]); err != nil {
			return ExportAuditChunkResult{}, fmt.Errorf("encode audit record %d: %w", entries[i].ID, err)
		}
	}
	if err := zw.Close(); err != nil {
		return ExportAuditChunkResult{}, fmt.Errorf("compress audit chunk: %w", err)
	}
	first, last := entries[0], entries[len(entries)-1]
	object, manifest := AuditChunkNames(first.ID, last.ID)
	sum := sha256.Sum256(buf.Bytes())
	m := AuditManifest{Format: AuditExportFormat, Object: object, Cutoff: in.Cutoff.UTC(), FirstID: first.ID, LastID: last.ID,
		Count: len(entries), From: first.CreatedAt, To: last.CreatedAt, SHA256: hex.EncodeToString(sum[:]), Bytes: int64(buf.Len())}
	for _, e := range entries {
		m.From, m.To = minTime(m.From, e.CreatedAt), maxTime(m.To, e.CreatedAt)
	}
	size := int64(buf.Len())
	if err := a.Storage.Put(ctx, object, &buf); err != nil {
		return ExportAuditChunkResult{}, fmt.Errorf("write %s: %w", object, err)
	}
	activity.RecordHeartbeat(ctx, last.ID)
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return ExportAuditChunkResult{}, fmt.Errorf("encode %s: %w", manifest, err)
	}
	if err := a.Storage.Put(ctx, manifest, bytes.NewReader(mb)); err != nil {
		return ExportAuditChunkResult{}, fmt.Errorf("write %s: %w", manifest, err)
	}
	return ExportAuditChunkResult{Count: len(entries), FirstID: first.ID, LastID: last.ID, Manifest: manifest, Bytes: size}, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
