package elasticsearch

import (
	"context"
	"fmt"
	"strings"

	searchapi "github.com/elastic/go-elasticsearch/v8/typedapi/core/search"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/suggestmode"

	"shopflow/search"
)

// suggesterName names the did-you-mean suggester in requests and responses.
const suggesterName = "did_you_mean"

// maxMisspelledWords is how many words of a query the phrase suggester may correct.
const maxMisspelledWords = 2

// Search finds active products matching q. When nothing matches the text as typed, it asks
// for a spelling correction; if the corrected text finds products those are returned, else
// the empty result carries the correction as a suggestion. Either way DidYouMean holds it.
func (e *Engine) Search(ctx context.Context, q search.Query) (search.Result, error) {
	if err := validate(q); err != nil {
		return search.Result{}, fmt.Errorf("elasticsearch search: %w", err)
	}
	res, err := e.run(ctx, q)
	if err != nil {
		return search.Result{}, fmt.Errorf("elasticsearch search: %w", err)
	}
	if res.Total > 0 || strings.TrimSpace(q.Text) == "" {
		return res, nil
	}
	if res, err = e.withCorrection(ctx, q, res); err != nil {
		return search.Result{}, fmt.Errorf("elasticsearch search: did you mean %q: %w", q.Text, err)
	}
	return res, nil
}

// withCorrection completes the empty result of q with a spelling correction, and with the
// products the corrected text finds, if any.
func (e *Engine) withCorrection(ctx context.Context, q search.Query, empty search.Result) (search.Result, error) {
	corrected, err := e.correct(ctx, q.Text)
	if err != nil || corrected == "" || strings.EqualFold(corrected, strings.Join(strings.Fields(q.Text), " ")) {
		return empty, err
	}
	retry := q
	retry.Text = corrected
	res, err := e.run(ctx, retry)
	if err != nil {
		return search.Result{}, err
	}
	if res.Total == 0 {
		res = empty
	}
	res.DidYouMean = corrected
	return res, nil
}

// run sends one search to the live alias.
func (e *Engine) run(ctx context.Context, q search.Query) (search.Result, error) {
	ctx, cancel := e.withTimeout(ctx)
	defer cancel()
	resp, err := e.client.Search().Index(e.alias).Request(searchRequest(q)).Do(ctx)
	if err != nil {
		return search.Result{}, err
	}
	return parseResult(resp, selectedKeys(q))
}

// correct asks a phrase suggester on product names for the text with its misspelled words
// replaced; "" means it has nothing better.
func (e *Engine) correct(ctx context.Context, text string) (string, error) {
	ctx, cancel := e.withTimeout(ctx)
	defer cancel()
	resp, err := e.client.Search().Index(e.alias).Request(correctionRequest(text)).Do(ctx)
	if err != nil {
		return "", err
	}
	for _, s := range resp.Suggest[suggesterName] {
		if p, ok := s.(*types.PhraseSuggest); ok && len(p.Options) > 0 {
			return p.Options[0].Text, nil
		}
	}
	return "", nil
}

// correctionRequest is a suggest-only search: no hits, one phrase suggestion built from the
// words of active and inactive product names alike (suggesters cannot filter), which the
// follow-up search then checks against active products.
func correctionRequest(text string) *searchapi.Request {
	size, zero := 1, 0
	maxErrors := types.Float64(maxMisspelledWords)
	always := suggestmode.Always
	return &searchapi.Request{
		Size: &zero,
		Suggest: &types.Suggester{
			Text: &text,
			Suggesters: map[string]types.FieldSuggester{suggesterName: {Phrase: &types.PhraseSuggester{
				Field:     fieldName,
				Size:      &size,
				MaxErrors: &maxErrors,
				// "always" proposes corrections for words that exist too, since a query of real
				// words can still match nothing together.
				DirectGenerator: []types.DirectGenerator{{Field: fieldName, SuggestMode: &always}},
			}}},
		},
	}
}
