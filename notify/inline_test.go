package notify_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"testing"

	"shopflow/notify"
	"shopflow/store"
)

// mimePart is one leaf of a parsed message: its media type, the multipart types enclosing it
// (outermost first), its headers and its decoded body.
type mimePart struct {
	Type    string
	Parents []string
	Header  textproto.MIMEHeader
	Body    []byte
}

// parseMIME reads a raw message with net/mail and mime/multipart into its leaves, decoding
// base64 bodies (mime/multipart already decodes quoted-printable).
func parseMIME(t *testing.T, raw []byte) (*mail.Message, []mimePart) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var leaves []mimePart
	var walk func(header textproto.MIMEHeader, body io.Reader, parents []string)
	walk = func(header textproto.MIMEHeader, body io.Reader, parents []string) {
		mt, params, err := mime.ParseMediaType(header.Get("Content-Type"))
		if err != nil {
			t.Fatalf("content type %q: %v", header.Get("Content-Type"), err)
		}
		if strings.HasPrefix(mt, "multipart/") {
			mr := multipart.NewReader(body, params["boundary"])
			for {
				p, err := mr.NextPart()
				if err == io.EOF {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(p.Header, p, append(append([]string(nil), parents...), mt))
			}
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		if strings.EqualFold(header.Get("Content-Transfer-Encoding"), "base64") {
			if b, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(b)), "")); err != nil {
				t.Fatalf("%s part: base64: %v", mt, err)
			}
		}
		leaves = append(leaves, mimePart{Type: mt, Parents: parents, Header: header, Body: b})
	}
	walk(textproto.MIMEHeader(msg.Header), msg.Body, nil)
	return msg, leaves
}

func partOf(parts []mimePart, mediaType string) (mimePart, bool) {
	for _, p := range parts {
		if p.Type == mediaType {
			return p, true
		}
	}
	return mimePart{}, false
}

var cidRef = regexp.MustCompile(`src="cid:([^"]+)"`)

// digestFixture is a digest with a full fortnight whose busiest day is the 9th.
func digestFixture(busiest int64) notify.SellerDigest {
	return notify.SellerDigest{StoreName: "Acme", Date: "2026-11-20", Units: 17, PrevUnits: 12,
		Revenue: []notify.Money{{Currency: "EUR", Cents: 4200}}, ReportURL: "https://shop.test/api/v1/sellers/me/reports/2026-11-20",
		Series: fortnight(3, 10, 25, 7, 14, 30, 19, 5, busiest, 22, 9, 40, 12, 17)}
}

func digestEmail(t *testing.T, d notify.SellerDigest, key string) (notify.Request, notify.DigestMessage) {
	t.Helper()
	m, err := notify.ComposeDigestMessage(d)
	if err != nil {
		t.Fatal(err)
	}
	return notify.Request{Key: key, To: "seller@example.com", Channel: "email", Kind: notify.DigestKind,
		Subject: m.Subject, Text: m.Text, HTML: m.HTML, Inline: m.Inline}, m
}

// checkDigestEmail proves raw is the digest as a mail client expects it: a multipart/related
// part holding the PNG under the Content-ID the HTML's cid: names, with the HTML and a
// text/plain alternative of it. It returns the PNG.
func checkDigestEmail(t *testing.T, raw []byte, want notify.DigestMessage) []byte {
	t.Helper()
	msg, parts := parseMIME(t, raw)
	if got := msg.Header.Get("Subject"); got != want.Subject {
		t.Errorf("subject %q, want %q", got, want.Subject)
	}
	text, okText := partOf(parts, "text/plain")
	html, okHTML := partOf(parts, "text/html")
	img, okImg := partOf(parts, "image/png")
	if !okText || !okHTML || !okImg {
		var have []string
		for _, p := range parts {
			have = append(have, strings.Join(append(p.Parents, p.Type), " > "))
		}
		t.Fatalf("message lacks a text, HTML or PNG part; it has %q", have)
	}
	if !strings.Contains(strings.Join(img.Parents, ","), "multipart/related") ||
		!strings.Contains(strings.Join(html.Parents, ","), "multipart/related") {
		t.Errorf("image in %v and HTML in %v, want both inside multipart/related", img.Parents, html.Parents)
	}
	if p := text.Parents; len(p) == 0 || p[len(p)-1] != "multipart/alternative" ||
		!slicesEqual(text.Parents, html.Parents) {
		t.Errorf("text in %v and HTML in %v, want alternatives of one multipart/alternative", text.Parents, html.Parents)
	}
	if string(text.Body) != want.Text && strings.ReplaceAll(string(text.Body), "\r\n", "\n") != want.Text {
		t.Errorf("text part differs:\n%s", text.Body)
	}
	ref := cidRef.FindStringSubmatch(string(html.Body))
	if ref == nil {
		t.Fatalf("HTML has no cid: image:\n%s", html.Body)
	}
	if got := img.Header.Get("Content-ID"); got != "<"+ref[1]+">" {
		t.Errorf("image Content-ID %q, HTML refers to cid:%s", got, ref[1])
	}
	if disp, _, _ := mime.ParseMediaType(img.Header.Get("Content-Disposition")); disp != "inline" {
		t.Errorf("image disposition %q, want inline", disp)
	}
	return img.Body
}

func slicesEqual(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

// TestDigestEmailCarriesInlineChart sends the composed digest through the real SMTP client and
// server and reads it back as a mail client would.
func TestDigestEmailCarriesInlineChart(t *testing.T) {
	t.Parallel()
	fake := newSMTPFake(t)
	svc, _ := newService(t, emailChannel(t, fake.addr))
	req, m := digestEmail(t, digestFixture(61), notify.Key("u1", notify.DigestKind, "2026-11-20", "email"))
	out, err := svc.Send(context.Background(), req)
	if err != nil || out.Status != store.NotificationSent {
		t.Fatalf("send: %+v, %v", out, err)
	}
	if fake.count() != 1 {
		t.Fatalf("server got %d messages, want 1", fake.count())
	}
	got := checkDigestEmail(t, fake.messages[0], m)
	if !bytes.Equal(got, m.Inline[0].Data) {
		t.Errorf("the PNG received (%d bytes) is not the one composed (%d bytes)", len(got), len(m.Inline[0].Data))
	}
}

// TestResumedSendCarriesStoredChart proves a queued send resumed later sends the inline image
// stored by the first attempt, not the one of the request that resumes it.
func TestResumedSendCarriesStoredChart(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	svc, st := newService(t, emailChannel(t, dead))
	key := notify.Key("u2", notify.DigestKind, "2026-11-20", "email")
	first, firstMsg := digestEmail(t, digestFixture(61), key)
	out, err := svc.Send(context.Background(), first)
	if !errors.Is(err, notify.ErrRetryLater) || out.Status != store.NotificationQueued {
		t.Fatalf("first send: %+v, %v; want queued and ErrRetryLater", out, err)
	}

	// The rerun composes from changed data (a late sale): the stored message still wins.
	rerun, rerunMsg := digestEmail(t, digestFixture(62), key)
	if bytes.Equal(rerunMsg.Inline[0].Data, firstMsg.Inline[0].Data) {
		t.Fatal("fixture: the rerun's chart should differ from the first")
	}
	fake := newSMTPFake(t)
	svc2 := notify.NewService(st, nil, nil, emailChannel(t, fake.addr))
	out, err = svc2.Send(context.Background(), rerun)
	if err != nil || out.Status != store.NotificationSent || fake.count() != 1 {
		t.Fatalf("resume: %+v, %v, %d messages", out, err, fake.count())
	}
	got := checkDigestEmail(t, fake.messages[0], firstMsg)
	if !bytes.Equal(got, firstMsg.Inline[0].Data) {
		t.Errorf("resumed send carried a different PNG than the stored one")
	}
}

// TestSendRefusesBadInlineImage proves an image no client could show is refused before its key
// is stored, so a fixed request can still be sent under the same key.
func TestSendRefusesBadInlineImage(t *testing.T) {
	t.Parallel()
	fake := newSMTPFake(t)
	svc, st := newService(t, emailChannel(t, fake.addr))
	png := []byte("\x89PNG")
	for name, img := range map[string]notify.InlineImage{
		"no content id":        {ContentType: "image/png", Data: png},
		"angle-bracketed id":   {ContentID: "<c@x>", ContentType: "image/png", Data: png},
		"no content type":      {ContentID: "c@x", Data: png},
		"no data":              {ContentID: "c@x", ContentType: "image/png"},
		"whitespace in the id": {ContentID: "c @x", ContentType: "image/png", Data: png},
	} {
		_, err := svc.Send(context.Background(), notify.Request{Key: "u3:k:p:email", To: "a@example.com", Channel: "email",
			Kind: "k", Text: "t", Inline: []notify.InlineImage{img}})
		if err == nil {
			t.Errorf("%s: sent", name)
		}
	}
	var n int
	if err := st.Pool.QueryRow(context.Background(), `SELECT count(*) FROM notifications`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d notifications stored (%v), want none", n, err)
	}
	if fake.count() != 0 {
		t.Fatalf("server got %d messages", fake.count())
	}
}
