package report

import (
	"fmt"
	"time"
)

// Config chooses and configures the report storage and time zone. cmd/shopflow fills it from
// the environment (SHOPFLOW_REPORTS_*); the zero value is a local directory, UTC days.
type Config struct {
	// Dir is the local directory (SHOPFLOW_REPORTS_DIR), used when S3.Bucket is empty.
	Dir string
	// TimeZone names the zone whose days are reported (SHOPFLOW_REPORTS_TIMEZONE), e.g. UTC.
	TimeZone string
	// S3, when its Bucket is set, stores reports in an S3-compatible bucket instead.
	S3 S3Config
}

// DefaultDir is where reports go when no directory is configured.
const DefaultDir = ".dev/reports"

// OpenStorage returns the configured Storage.
func (c Config) OpenStorage() (Storage, error) {
	if c.S3.Bucket != "" {
		return NewS3(c.S3)
	}
	dir := c.Dir
	if dir == "" {
		dir = DefaultDir
	}
	return Local{Dir: dir}, nil
}

// Location is the configured time zone (UTC when unset).
func (c Config) Location() (*time.Location, error) {
	if c.TimeZone == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("report time zone %q: %w", c.TimeZone, err)
	}
	return loc, nil
}
