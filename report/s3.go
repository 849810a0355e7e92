package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config locates an S3-compatible bucket (AWS S3, MinIO, R2...).
type S3Config struct {
	Endpoint  string // host[:port], e.g. s3.amazonaws.com or 127.0.0.1:9000
	Bucket    string
	AccessKey string
	SecretKey string
	UseTLS    bool
	Region    string
	// Prefix is put before every name, e.g. "reports/".
	Prefix string
}

// S3 is a Storage in an S3-compatible bucket. An S3 PUT is atomic (a reader sees the old
// object or the whole new one, also for multipart uploads, which appear only when completed),
// so files are uploaded under their final key; the report's manifest is uploaded last.
type S3 struct {
	client *minio.Client
	bucket string
	prefix string
}

// s3PartSize bounds the memory an upload of unknown size buffers.
const s3PartSize = 16 << 20

// NewS3 connects to the bucket described by cfg (no request is made).
func NewS3(cfg S3Config) (*S3, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("report storage s3: endpoint and bucket are required")
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure: cfg.UseTLS,
		Region: cfg.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("report storage s3 %s: %w", cfg.Endpoint, err)
	}
	return &S3{client: c, bucket: cfg.Bucket, prefix: cfg.Prefix}, nil
}

// EnsureBucket creates the bucket when it does not exist (for development and tests).
func (s *S3) EnsureBucket(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("check bucket %s: %w", s.bucket, err)
	}
	if ok {
		return nil
	}
	if err := s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{}); err != nil {
		return fmt.Errorf("create bucket %s: %w", s.bucket, err)
	}
	return nil
}

// Put uploads r under name.
func (s *S3) Put(ctx context.Context, name string, r io.Reader) error {
	if err := CheckName(name); err != nil {
		return err
	}
	size := int64(-1)
	if f, ok := r.(*os.File); ok {
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
	}
	_, err := s.client.PutObject(ctx, s.bucket, s.prefix+name, r, size, minio.PutObjectOptions{
		ContentType: contentType(name),
		PartSize:    s3PartSize,
	})
	if err != nil {
		return fmt.Errorf("put report file %s: %w", name, err)
	}
	return nil
}

// Open reads a published object.
func (s *S3) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := CheckName(name); err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.prefix+name, minio.GetObjectOptions{})
	if err == nil {
		// GetObject is lazy: Stat makes the request, so a missing key shows up here.
		_, err = obj.Stat()
	}
	if err != nil {
		if obj != nil {
			obj.Close()
		}
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("open report file %s: %w", name, err)
	}
	return obj, nil
}

// List returns the objects under prefix.
func (s *S3) List(ctx context.Context, prefix string) ([]Object, error) {
	var out []Object
	for o := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + prefix, Recursive: true}) {
		if o.Err != nil {
			return nil, fmt.Errorf("list report files %q: %w", prefix, o.Err)
		}
		name := strings.TrimPrefix(o.Key, s.prefix)
		if isTemp(name) {
			continue
		}
		out = append(out, Object{Name: name, Size: o.Size, Modified: o.LastModified})
	}
	return out, nil
}

// Delete removes an object.
func (s *S3) Delete(ctx context.Context, name string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.prefix+name, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("delete report file %s: %w", name, err)
	}
	return nil
}

// contentType is the media type of a report file, by extension.
func contentType(name string) string {
	switch {
	case strings.HasSuffix(name, ".csv"):
		return "text/csv; charset=utf-8; header=present"
	case strings.HasSuffix(name, ".parquet"):
		return "application/vnd.apache.parquet"
	case strings.HasSuffix(name, ".json"):
		return "application/json"
	}
	return "application/octet-stream"
}
