package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"shopflow/errs"
	"shopflow/ingest"
	"shopflow/store"
)

// batchSubmitted is the answer to a file submission.
type batchSubmitted struct {
	BatchID   string `json:"batch_id"`
	Status    string `json:"status"`
	StatusURL string `json:"status_url"`
}

// batchResponse is a batch and its progress.
type batchResponse struct {
	ID          string  `json:"id"`
	Filename    string  `json:"filename"`
	Format      string  `json:"format"`
	SHA256      string  `json:"sha256"`
	SizeBytes   int64   `json:"size_bytes"`
	Status      string  `json:"status"`
	OffsetBytes int64   `json:"offset_bytes"`
	Progress    float64 `json:"progress"`
	LinesRead   int64   `json:"lines_read"`
	Accepted    int64   `json:"accepted"`
	Duplicates  int64   `json:"duplicates"`
	Rejected    int64   `json:"rejected"`
	// ErrorFileURL is set once the batch has completed (the file is empty when nothing was rejected).
	ErrorFileURL *string    `json:"error_file_url"`
	Failure      *string    `json:"failure"`
	CreatedAt    time.Time  `json:"created_at"`
	FinishedAt   *time.Time `json:"finished_at"`
}

func newBatchResponse(b store.Batch) batchResponse {
	r := batchResponse{ID: b.ID, Filename: b.Filename, Format: b.Format, SHA256: b.SHA256, SizeBytes: b.SizeBytes,
		Status: b.Status, OffsetBytes: b.OffsetBytes, LinesRead: b.LinesRead, Accepted: b.Accepted,
		Duplicates: b.Duplicates, Rejected: b.Rejected, CreatedAt: b.CreatedAt, FinishedAt: b.FinishedAt}
	switch {
	case b.Status == store.BatchCompleted:
		r.Progress = 1
	case b.SizeBytes > 0:
		r.Progress = float64(b.OffsetBytes) / float64(b.SizeBytes)
	}
	if b.ErrorPath != "" {
		u := batchURL(b.ID) + "/errors"
		r.ErrorFileURL = &u
	}
	if b.Failure != "" {
		r.Failure = &b.Failure
	}
	return r
}

func batchURL(id string) string { return "/api/v1/ingest/batches/" + id }

// submitBatch takes an order file, as the multipart form field `file` or as the raw body
// (Content-Type text/csv or application/x-ndjson, name in ?filename=), streams it to batch
// storage under its content hash, registers the batch and starts its ingest. The content is
// the idempotency key: the same file again answers 200 with the batch it already is, and
// counts nothing twice. The route's body cap is the upload limit, not the JSON one.
func (s *Server) submitBatch(c *gin.Context) {
	if c.Request.ContentLength > ingest.MaxFileBytes {
		s.fail(c, errs.E(errs.TooLarge, "the file is larger than %d bytes", int64(ingest.MaxFileBytes)))
		return
	}
	// An upload of gigabytes outlasts the server's read and write timeouts, which are sized for
	// JSON requests; this request alone may take as long as its body does.
	rc := http.NewResponseController(c.Writer)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	body := http.MaxBytesReader(c.Writer, c.Request.Body, ingest.MaxFileBytes)

	file, err := openSubmittedFile(c, body)
	if err != nil {
		s.fail(c, err)
		return
	}
	batch, created, err := ingest.Submit(c, s.Store, ingest.Files{Dir: s.Config.IngestDir}, ingest.Submission{
		Filename: file.name, Format: file.format, Body: file.r, SubmittedBy: mustClaims(c).Subject,
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	// Starting a running or finished ingest is a no-op, so a resubmission starts it too. If
	// Temporal is down the batch stays queued, and the inbox sweep starts queued batches.
	switch {
	case batch.Status == store.BatchCompleted:
	case s.Batches == nil:
		s.log(c).WarnContext(c.Request.Context(), "no batch ingest workflow client; the inbox sweep will start the batch", "batch_id", batch.ID)
	default:
		if err := s.Batches.Start(c, batch.ID); err != nil {
			s.log(c).ErrorContext(c.Request.Context(), "start batch ingest; the inbox sweep will retry", "batch_id", batch.ID, "err", err)
		}
	}
	status := http.StatusOK
	if created {
		status = http.StatusAccepted
	}
	c.Header("Location", batchURL(batch.ID))
	c.JSON(status, batchSubmitted{BatchID: batch.ID, Status: batch.Status, StatusURL: batchURL(batch.ID)})
}

// submittedFile is the file in a submission, not yet read.
type submittedFile struct {
	name   string
	format ingest.Format
	r      io.Reader
}

// openSubmittedFile finds the file in the request: the `file` part of a multipart form (read as
// a stream, never buffered), or the raw body.
func openSubmittedFile(c *gin.Context, body io.ReadCloser) (submittedFile, error) {
	mediaType, _, err := mime.ParseMediaType(c.ContentType())
	if err != nil && c.ContentType() != "" {
		return submittedFile{}, errs.E(errs.Invalid, "malformed Content-Type %q", c.GetHeader("Content-Type"))
	}
	if mediaType == "multipart/form-data" {
		c.Request.Body = body
		return openFormFile(c)
	}
	format, ok := ingest.FormatOfContentType(mediaType)
	if !ok {
		return submittedFile{}, errs.E(errs.Invalid,
			"Content-Type must be multipart/form-data (a file in field 'file'), text/csv or application/x-ndjson, got %q", mediaType).
			WithDetails("parameter", "Content-Type")
	}
	name := c.Query("filename")
	if name == "" {
		name = "upload." + string(format)
	}
	name, err = cleanFilename(name)
	if err != nil {
		return submittedFile{}, err
	}
	return submittedFile{name: name, format: format, r: body}, nil
}

func openFormFile(c *gin.Context) (submittedFile, error) {
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return submittedFile{}, errs.Wrap(err, errs.Invalid, "malformed multipart body")
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return submittedFile{}, errs.E(errs.Invalid, "the form has no field 'file'").WithDetails("parameter", "file")
		}
		if err != nil {
			return submittedFile{}, bodyReadError(err)
		}
		if part.FormName() != "file" {
			continue // other fields are ignored, as clients add their own
		}
		name, err := cleanFilename(part.FileName())
		if err != nil {
			return submittedFile{}, err
		}
		format, ok := ingest.FormatOfName(name)
		if !ok {
			mediaType, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
			if format, ok = ingest.FormatOfContentType(mediaType); !ok {
				return submittedFile{}, errs.E(errs.Unprocessable,
					"cannot tell the file's format: name it .csv, .ndjson or .jsonl, or send its part as text/csv or application/x-ndjson").
					WithDetails("parameter", "file")
			}
		}
		return submittedFile{name: name, format: format, r: part}, nil
	}
}

// cleanFilename keeps the last element of a client's file name (browsers may send a path), as
// a label only: files are stored by content hash.
func cleanFilename(name string) (string, error) {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "upload", nil
	case len(name) > 255 || !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", errs.E(errs.Unprocessable, "the file name must be at most 255 bytes of printable UTF-8").WithDetails("parameter", "filename")
	}
	return name, nil
}

// getBatch shows a batch and how far its ingest has got.
func (s *Server) getBatch(c *gin.Context) {
	batch, err := s.batchParam(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, newBatchResponse(batch))
}

// getBatchErrors serves a completed batch's error file: one JSON object per rejected line,
// with its line number, the reason and the start of the line. 404 until the batch completes.
func (s *Server) getBatchErrors(c *gin.Context) {
	batch, err := s.batchParam(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if batch.ErrorPath == "" {
		s.fail(c, errs.E(errs.NotFound, "the error file is written when the batch completes; the batch is %s", batch.Status))
		return
	}
	p, err := ingest.Files{Dir: s.Config.IngestDir}.Abs(batch.ErrorPath)
	if err != nil {
		s.fail(c, err)
		return
	}
	f, err := os.Open(p)
	if err != nil {
		s.fail(c, errs.Wrap(err, errs.Internal, "open error file of batch %s", batch.ID))
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		s.fail(c, errs.Wrap(err, errs.Internal, "stat error file of batch %s", batch.ID))
		return
	}
	_ = http.NewResponseController(c.Writer).SetWriteDeadline(time.Time{}) // a large file takes its time
	c.Header("Content-Type", "application/x-ndjson")
	c.Header("Content-Disposition", `attachment; filename="`+batch.ID+`-errors.ndjson"`)
	http.ServeContent(c.Writer, c.Request, "", info.ModTime(), f)
}

// batchParam reads the :id parameter and loads the batch.
func (s *Server) batchParam(c *gin.Context) (store.Batch, error) {
	id, err := pathUUID(c, "id", "a batch")
	if err != nil {
		return store.Batch{}, err
	}
	return s.Store.BatchByID(c, id)
}
