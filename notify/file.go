package notify

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"shopflow/store"
)

// File formats of notification files.
const (
	FormatCSV    = "csv"
	FormatNDJSON = "ndjson"
)

// MaxMessageLen bounds a file row's message (ten SMS segments).
const MaxMessageLen = 1600

// fileRecord is one record of a notification file, as CSV columns or an NDJSON object.
type fileRecord struct {
	Recipient string `json:"recipient"`
	Channel   string `json:"channel"`
	Subject   string `json:"subject"`
	Message   string `json:"message"`
}

// ParseFile reads a notification file: CSV with a header naming recipient, channel and message
// (subject optional; columns in any order), or NDJSON of {recipient, channel, message,
// subject?}. Rows are numbered from 1 by data line (CSV: the header is not a row; NDJSON:
// blank lines are skipped but counted). Valid rows are returned for delivery and bad rows as
// rejected results; an error means the file as a whole is unreadable.
func ParseFile(format string, data []byte) ([]store.NotificationFileRow, []store.NotificationRowResult, error) {
	var p fileParse
	var err error
	switch format {
	case FormatCSV:
		err = p.csv(data)
	case FormatNDJSON:
		err = p.ndjson(data)
	default:
		err = fmt.Errorf("format %q is not csv or ndjson", format)
	}
	if err != nil {
		return nil, nil, err
	}
	return p.good, p.bad, nil
}

// fileParse collects a notification file's valid rows and its rejected ones.
type fileParse struct {
	good []store.NotificationFileRow
	bad  []store.NotificationRowResult
}

func (p *fileParse) add(row int, r fileRecord, err error) {
	if err == nil {
		err = checkRecord(r)
	}
	if err != nil {
		p.bad = append(p.bad, store.NotificationRowResult{Row: row, Recipient: r.Recipient, Channel: r.Channel,
			Status: "rejected", Error: err.Error()})
		return
	}
	p.good = append(p.good, store.NotificationFileRow{Row: row, Recipient: strings.TrimSpace(r.Recipient),
		Channel: r.Channel, Subject: r.Subject, Message: r.Message})
}

func (p *fileParse) csv(data []byte) error {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("csv header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, need := range []string{"recipient", "channel", "message"} {
		if _, ok := col[need]; !ok {
			return fmt.Errorf("csv header must name recipient, channel and message; %q is missing", need)
		}
	}
	get := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	for row := 1; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return err
			}
			p.add(row, fileRecord{}, fmt.Errorf("malformed CSV: %v", pe.Err))
			continue
		}
		if len(rec) != len(header) {
			p.add(row, fileRecord{}, fmt.Errorf("has %d fields, the header has %d", len(rec), len(header)))
			continue
		}
		p.add(row, fileRecord{Recipient: get(rec, "recipient"), Channel: get(rec, "channel"),
			Subject: get(rec, "subject"), Message: get(rec, "message")}, nil)
	}
}

func (p *fileParse) ndjson(data []byte) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for row := 1; sc.Scan(); row++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var r fileRecord
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			p.add(row, r, fmt.Errorf("not a notification object: %v", err))
			continue
		}
		p.add(row, r, nil)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("ndjson: %w", err)
	}
	return nil
}

func checkRecord(r fileRecord) error {
	switch {
	case strings.TrimSpace(r.Recipient) == "":
		return errors.New("recipient is required (a user id or an email address)")
	case r.Channel != store.ChannelEmail && r.Channel != store.ChannelSMS && r.Channel != store.ChannelInApp:
		return fmt.Errorf("channel must be email, sms or inapp, got %q", r.Channel)
	case strings.TrimSpace(r.Message) == "":
		return errors.New("message is required")
	case !utf8.ValidString(r.Message) || !utf8.ValidString(r.Subject):
		return errors.New("message is not valid UTF-8")
	case utf8.RuneCountInString(r.Message) > MaxMessageLen:
		return fmt.Errorf("message is longer than %d characters", MaxMessageLen)
	}
	return nil
}
