package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// answerSample is what checking a phase's paths found before measuring.
type answerSample struct {
	// Checked answers, MeanBytes their mean body size, Empty how many listed nothing.
	Checked, MeanBytes, Empty int
}

// checkedPaths is how many of a phase's paths are checked, spread over the list.
const checkedPaths = 50

// checkPhase asks for a sample of the phase's paths and checks the answers are what the phase
// means to measure: 200, a search cache that misses on the uncached server and hits on the
// cached one, a top-sellers ranking that lists products.
func checkPhase(ctx context.Context, p phase) (answerSample, error) {
	var s answerSample
	step := max(1, len(p.Paths)/checkedPaths)
	total := 0
	for i := 0; i < len(p.Paths); i += step {
		body, cache, err := get(ctx, p.Base+p.Paths[i])
		if err != nil {
			return s, fmt.Errorf("check %s: %w", p.Name, err)
		}
		isSearch := strings.HasPrefix(p.Paths[i], "/api/v1/search")
		if isSearch && p.Cached {
			// Asked again, the answer comes from this process's cache.
			if _, cache, err = get(ctx, p.Base+p.Paths[i]); err != nil {
				return s, fmt.Errorf("check %s: %w", p.Name, err)
			}
		}
		if want := map[bool]string{false: "MISS", true: "HIT"}[p.Cached]; isSearch && cache != want {
			return s, fmt.Errorf("check %s: GET %s answered X-Search-Cache %q, want %q", p.Name, p.Paths[i], cache, want)
		}
		var listed struct {
			Items    []json.RawMessage `json:"items"`
			Products []json.RawMessage `json:"products"`
		}
		if err := json.Unmarshal(body, &listed); err != nil {
			return s, fmt.Errorf("check %s: GET %s: %w", p.Name, p.Paths[i], err)
		}
		if len(listed.Items)+len(listed.Products) == 0 {
			s.Empty++
		}
		s.Checked++
		total += len(body)
	}
	if p.Name == phaseTopSellers && s.Empty > 0 {
		return s, fmt.Errorf("check %s: the published ranking lists no products", p.Name)
	}
	s.MeanBytes = total / s.Checked
	return s, nil
}

// get fetches url and returns the body of a 200 and its X-Search-Cache header. A server that
// failed to start leaves its listener unanswered: the timeout turns that into an error.
func get(ctx context.Context, url string) ([]byte, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("GET %s: HTTP %d %.300s (%v)", url, resp.StatusCode, body, err)
	}
	return body, resp.Header.Get("X-Search-Cache"), nil
}
