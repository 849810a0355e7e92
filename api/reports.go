package api

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"shopflow/errs"
	"shopflow/report"
)

// Daily reports are files published by the DailyReport workflow; a day is published when its
// manifest exists, and only files its manifest lists are ever served. That one rule hides days
// being rebuilt, leftovers of older runs and temporary files, and refuses any name ('..',
// another path) that is not exactly a file of the day.

const (
	// reportsDefaultDays is how many days a listing covers when from is not given.
	reportsDefaultDays = 31
	// reportsMaxDays bounds a listing: each day is one manifest read.
	reportsMaxDays = 366
)

// reportRun is the body of POST /admin/jobs/daily-report.
type reportRun struct {
	Date string `json:"date" binding:"required"`
}

// runDailyReport serves POST /admin/jobs/daily-report: (re)build one day's reports now.
func (s *Server) runDailyReport(c *gin.Context) {
	var in reportRun
	if err := bindJSON(c, &in); err != nil {
		s.fail(c, err)
		return
	}
	day, err := report.ParseDate(in.Date)
	if err != nil {
		s.fail(c, errs.E(errs.Unprocessable, "date must be a day, YYYY-MM-DD, got %q", in.Date).WithDetails("fields", map[string]string{"date": "must be a day, YYYY-MM-DD"}))
		return
	}
	if day.After(time.Now().UTC()) {
		s.fail(c, errs.E(errs.Unprocessable, "date %s has not begun yet", in.Date).WithDetails("fields", map[string]string{"date": "has not begun yet"}))
		return
	}
	if s.Reports == nil {
		s.fail(c, errs.E(errs.Unavailable, "this process cannot start jobs"))
		return
	}
	id, err := s.Reports.TriggerDailyReport(c.Request.Context(), day)
	if err != nil {
		s.fail(c, errs.Wrap(err, errs.Unavailable, "the daily report job could not be started; try again shortly"))
		return
	}
	c.JSON(http.StatusAccepted, jobStarted{WorkflowID: id})
}

// listReports serves GET /reports?from=&to=: the published days and their manifests (admin),
// oldest first.
func (s *Server) listReports(c *gin.Context) {
	days, p, ok := s.publishedDays(c)
	if !ok {
		return
	}
	l, err := pageOf(days.manifests, p, days.scope("reports"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, l)
}

// downloadReport serves GET /reports/{date}/files/{name}: any file of a published day (admin).
func (s *Server) downloadReport(c *gin.Context) {
	if s.ReportFiles == nil {
		s.fail(c, errs.E(errs.Unavailable, "report storage is not configured"))
		return
	}
	s.serveReportFile(c, c.Param("date"), strings.TrimPrefix(c.Param("name"), "/"))
}

// mySellerReports serves GET /sellers/me/reports?from=&to=: the days with a report of the
// caller's store, and its files, oldest first.
func (s *Server) mySellerReports(c *gin.Context) {
	sellerID, ok := s.callerSeller(c)
	if !ok {
		return
	}
	days, p, ok := s.publishedDays(c)
	if !ok {
		return
	}
	mine := []report.Manifest{}
	for _, d := range days.manifests {
		own := d
		own.Files = nil
		for _, f := range d.Files {
			if f.Name == report.SellerFile(sellerID, "csv") || f.Name == report.SellerFile(sellerID, "parquet") {
				own.Files = append(own.Files, f)
			}
		}
		if len(own.Files) > 0 {
			mine = append(mine, own)
		}
	}
	l, err := pageOf(mine, p, days.scope("seller-reports"))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, l)
}

// downloadMySellerReport serves GET /sellers/me/reports/{date}?format=csv|parquet: the
// caller's own report of the day. The file name comes from the token's seller id, never from
// the request, so no request can name another seller's file.
func (s *Server) downloadMySellerReport(c *gin.Context) {
	sellerID, ok := s.callerSeller(c)
	if !ok {
		return
	}
	format := c.DefaultQuery("format", "csv")
	if format != "csv" && format != "parquet" {
		s.fail(c, badParam("format", "must be csv or parquet, got %q", format))
		return
	}
	if s.ReportFiles == nil {
		s.fail(c, errs.E(errs.Unavailable, "report storage is not configured"))
		return
	}
	s.serveReportFile(c, c.Param("date"), report.SellerFile(sellerID, format))
}

// serveReportFile streams one file of a published day, if the day's manifest lists it.
func (s *Server) serveReportFile(c *gin.Context, date, name string) {
	if _, err := report.ParseDate(date); err != nil {
		s.fail(c, errs.E(errs.Invalid, "date must be a day, YYYY-MM-DD, got %q", date))
		return
	}
	ctx := c.Request.Context()
	m, err := report.ReadManifest(ctx, s.ReportFiles, date)
	if errors.Is(err, report.ErrNotFound) {
		s.fail(c, errs.E(errs.NotFound, "no report published for %s", date))
		return
	}
	if err != nil {
		s.fail(c, errs.Wrap(err, errs.Unavailable, "report storage unavailable"))
		return
	}
	var file *report.File
	for i := range m.Files {
		if m.Files[i].Name == name {
			file = &m.Files[i]
		}
	}
	if name == report.ManifestName {
		s.serveStored(c, date, name, -1, "")
		return
	}
	if file == nil {
		s.fail(c, errs.E(errs.NotFound, "the report of %s has no file %q", date, name))
		return
	}
	s.serveStored(c, date, name, file.Bytes, file.SHA256)
}

// serveStored copies a stored file to the response; size -1 when unknown.
func (s *Server) serveStored(c *gin.Context, date, name string, size int64, sha string) {
	rc, err := s.ReportFiles.Open(c.Request.Context(), report.DayPath(date, name))
	if errors.Is(err, report.ErrNotFound) {
		s.fail(c, errs.E(errs.NotFound, "the report of %s has no file %q", date, name))
		return
	}
	if err != nil {
		s.fail(c, errs.Wrap(err, errs.Unavailable, "report storage unavailable"))
		return
	}
	defer rc.Close()
	h := c.Writer.Header()
	h.Set("Content-Type", reportContentType(name))
	base := name[strings.LastIndex(name, "/")+1:]
	h.Set("Content-Disposition", `attachment; filename="`+date+"-"+base+`"`)
	h.Set("Cache-Control", "private, max-age=300")
	if size >= 0 {
		h.Set("Content-Length", strconv.FormatInt(size, 10))
	}
	if sha != "" {
		h.Set("ETag", `"`+sha+`"`)
		if inm := c.GetHeader("If-None-Match"); inm != "" && etagMatches([]string{inm}, `"`+sha+`"`) {
			c.Status(http.StatusNotModified)
			return
		}
	}
	c.Status(http.StatusOK)
	if _, err := io.Copy(c.Writer, rc); err != nil {
		s.log(c).Warn("report download interrupted", "date", date, "name", name, "err", err)
	}
}

// reportDayList is the published days of a listing's range.
type reportDayList struct {
	from, to  time.Time
	manifests []report.Manifest
}

// scope names the listing and its range, so a cursor only continues the listing it came from.
func (l reportDayList) scope(name string) string {
	return name + "?from=" + l.from.Format(time.DateOnly) + "&to=" + l.to.Format(time.DateOnly)
}

// publishedDays reads a report listing's query (from, to, limit, cursor) and the published
// days of its range; it answers the error itself.
func (s *Server) publishedDays(c *gin.Context) (reportDayList, page, bool) {
	if s.ReportFiles == nil {
		s.fail(c, errs.E(errs.Unavailable, "report storage is not configured"))
		return reportDayList{}, page{}, false
	}
	q, p, err := listQuery(c, "from", "to")
	if err != nil {
		s.fail(c, err)
		return reportDayList{}, page{}, false
	}
	from, to, err := reportRange(q, time.Now())
	if err != nil {
		s.fail(c, err)
		return reportDayList{}, page{}, false
	}
	days, err := report.PublishedDays(c.Request.Context(), s.ReportFiles, from, to)
	if err != nil {
		s.fail(c, errs.Wrap(err, errs.Unavailable, "report storage unavailable"))
		return reportDayList{}, page{}, false
	}
	return reportDayList{from: from, to: to, manifests: days}, p, true
}

// reportRange reads from and to (YYYY-MM-DD, inclusive): to defaults to today, from to
// reportsDefaultDays before to.
func reportRange(q map[string]string, now time.Time) (from, to time.Time, err error) {
	to = now.UTC().Truncate(24 * time.Hour)
	if v := q["to"]; v != "" {
		if to, err = report.ParseDate(v); err != nil {
			return from, to, badParam("to", "must be a day, YYYY-MM-DD, got %q", v)
		}
	}
	from = to.AddDate(0, 0, -(reportsDefaultDays - 1))
	if v := q["from"]; v != "" {
		if from, err = report.ParseDate(v); err != nil {
			return from, to, badParam("from", "must be a day, YYYY-MM-DD, got %q", v)
		}
	}
	if from.After(to) {
		return from, to, errs.E(errs.Unprocessable, "from (%s) is after to (%s)", from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	if to.Sub(from) >= reportsMaxDays*24*time.Hour {
		return from, to, errs.E(errs.Unprocessable, "at most %d days at a time", reportsMaxDays)
	}
	return from, to, nil
}

func reportContentType(name string) string {
	switch {
	case strings.HasSuffix(name, ".csv"):
		return "text/csv; charset=utf-8"
	case strings.HasSuffix(name, ".parquet"):
		return "application/vnd.apache.parquet"
	}
	return "application/json; charset=utf-8"
}
