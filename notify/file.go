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
	var good []store.NotificationFileRow
	var bad []store.NotificationRowResult
	add := func(row int, r fileRecord, err error) {
		if err == nil {
			err = checkRecord(r)
		}
		if err != nil {
			bad = append(bad, store.NotificationRowResult{Row: row, Recipient: r.Recipient, Channel: r.Channel,
				Status: "rejected", Error: err.Error()})
			return
		}
		good = append(good, store.NotificationFileRow{Row: row, Recipient: strings.TrimSpace(r.Recipient),
			Channel: r.Channel, Subject: r.Subject, Message: r.Message})
	}
	switch format {
	case FormatCSV:
		cr := csv.NewReader(bytes.NewReader(data))
		cr.FieldsPerRecord = -1
		header, err := cr.Read()
		if err != nil {
			return nil, nil, fmt.Errorf("csv header: %w", err)
		}
		col := map[string]int{}
		for i, h := range header {
			col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
		}
		for _, need := range []string{"recipient", "channel", "message"} {
			if _, ok := col[need]; !ok {
				return nil, nil, fmt.Errorf("csv header must name recipient, channel and message; %q is missing", need)
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
				break
			}
			if err != nil {
				var pe *csv.ParseError
				if !errors.As(err, &pe) {
					return nil, nil, err
				}
				add(row, fileRecord{}, fmt.Errorf("malformed CSV: %v", pe.Err))
				continue
			}
			if len(rec) != len(header) {
				add(row, fileRecord{}, fmt.Errorf("has %d fields, the header has %d", len(rec), len(header)))
				continue
			}
			add(row, fileRecord{Recipient: get(rec, "recipient"), Channel: get(rec, "channel"),
				Subject: get(rec, "subject"), Message: get(rec, "message")}, nil)
		}
	case FormatNDJSON:
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
				add(row, r, fmt.Errorf("not a notification object: %v", err))
				continue
			}
			add(row, r, nil)
		}
		if err := sc.Err(); err != nil {
			return nil, nil, fmt.Errorf("ndjson: %w", err)
		}
	default:
		return nil, nil, fmt.Errorf("format %q is not csv or ndjson", format)
	}
	return good, bad, nil
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
