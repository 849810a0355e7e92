package elasticsearch

import (
	"context"
	"regexp"
	"testing"

	"shopflow/search"
)

func TestSuggestRequest(t *testing.T) {
	e, srv := newTestEngine(t)
	liveIndex(t, e, catalog()...)
	srv.ResetRequests()
	if _, err := e.Suggest(context.Background(), "  Lap ", 5); err != nil {
		t.Fatal(err)
	}
	body := lastSearch(t, srv)
	checks := map[string]string{
		"query.bool.must.0.multi_match":  `{"fields":["name.suggest","name.suggest._2gram","name.suggest._3gram"],"query":"Lap","type":"bool_prefix"}`,
		"query.bool.filter":              `[{"term":{"status":{"value":"active"}}}]`,
		"size":                           `5`,
		"_source":                        `{"includes":["id","name"]}`,
		"aggregations.categories.global": `{}`,
		"aggregations.categories.aggregations.active.filter":                                   `{"term":{"status":{"value":"active"}}}`,
		"aggregations.categories.aggregations.active.aggregations.names.terms":                 `{"field":"category_name.keyword","include":"(.* )?[lL][aA][pP].*","size":5}`,
		"aggregations.categories.aggregations.active.aggregations.names.aggregations.id.terms": `{"field":"category_id","size":1}`,
	}
	for path, want := range checks {
		if got := compact(at(t, body, path)); got != want {
			t.Errorf("%s = %s, want %s", path, got, want)
		}
	}
}

func TestSuggestLimits(t *testing.T) {
	e, srv := newTestEngine(t)
	liveIndex(t, e, catalog()...)
	ctx := context.Background()
	srv.ResetRequests()
	for _, prefix := range []string{"", "   "} {
		if got, err := e.Suggest(ctx, prefix, 5); err != nil || len(got) != 0 {
			t.Errorf("Suggest(%q) = %v, %v; want nothing", prefix, got, err)
		}
	}
	if got, err := e.Suggest(ctx, "lap", 0); err != nil || len(got) != 0 {
		t.Errorf("Suggest with limit 0 = %v, %v; want nothing", got, err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests for empty suggestions, want none", n)
	}
	got, err := e.Suggest(ctx, "lap", 2)
	if err != nil {
		t.Fatal(err)
	}
	// Products first; a category keeps one of two places.
	want := []search.Suggestion{{Kind: "product", ID: 1, Text: "Dell Laptop 13"}, {Kind: "category", ID: 10, Text: "Laptops"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Suggest(lap, 2) = %v, want %v", got, want)
	}
}

func TestUserInputIsEscapedInRegexps(t *testing.T) {
	tests := []struct{ prefix, want string }{
		{"c++ (x", `(.* )?[cC]\+\+ \([xX].*`},
		{"a.b|c", `(.* )?[aA]\.[bB]\|[cC].*`},
		{`~#@&<>"\`, `(.* )?\~\#\@\&\<\>\"\\.*`},
		{"Été", `(.* )?[éÉ][tT][éÉ].*`},
	}
	for _, tt := range tests {
		if got := wordPrefixRegexp(tt.prefix); got != tt.want {
			t.Errorf("wordPrefixRegexp(%q) = %s, want %s", tt.prefix, got, tt.want)
		}
	}
	// The escaped key matches itself literally and nothing else (Go's syntax agrees with
	// Lucene's on these escapes).
	for _, key := range []string{"size (cm)", "a.b", "x|y", "c++", `q"uote`} {
		re := regexp.MustCompile("^(?:" + keyRegexp(key) + ")$")
		if !re.MatchString(key+"=1") || re.MatchString(key+"x=1") {
			t.Errorf("keyRegexp(%q) = %s does not match the key literally", key, keyRegexp(key))
		}
	}
}
