package postgres

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
)

// similarityThreshold is the least trigram similarity a correction needs. A transposition in a
// six-letter word scores 0.27 ("lapotp" and "laptop" share 3 of 11 trigrams), so pg_trgm's
// default of 0.3 would miss the commonest typo.
const similarityThreshold = "0.25"

// minCorrectable is the shortest word corrected: shorter words share too few trigrams for a
// similarity to mean anything (Elasticsearch's AUTO fuzziness allows no edit below 3 either).
const minCorrectable = 3

// correct replaces each word that is not in the search_terms vocabulary with the most similar
// term, when the text as typed matches no active product, and returns nil when no word
// changed. The last word is kept when a term starts with it, since it is searched as a prefix.
func (s *Searcher) correct(ctx context.Context, words []string) ([]string, error) {
	var corrected []string
	// The threshold is set for this statement only, so the pooled connection keeps pg_trgm's
	// default for anyone else.
	threshold := setting{"pg_trgm.similarity_threshold", similarityThreshold}
	args := []any{words, minCorrectable, len(words), prefixQuery(words, "")}
	err := queryLocal(ctx, s.pool(ctx), correctSQL, args, func(rows pgx.Rows) error {
		var err error
		corrected, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	}, threshold)
	if err != nil {
		return nil, fmt.Errorf("correct %q: %w", words, err)
	}
	if slices.Equal(corrected, words) {
		return nil, nil
	}
	return corrected, nil
}

// correctSQL returns each word ($1, in order) as typed or corrected. Every word is kept when
// the text as typed ($4) matches some active product, since then only the filters left
// nothing (a description word is not in the vocabulary, yet is no typo). A word is kept when it
// is too short to correct ($2), a term, or (the last, $3, being a prefix) the start of a term.
// Otherwise the search_terms_trgm_idx finds the terms similar enough (%), and the most similar
// wins, then the one in more products, then the first in byte order.
const correctSQL = `
	SELECT CASE WHEN EXISTS (SELECT 1 FROM products p WHERE p.status = 'active' AND p.search @@ to_tsquery('simple', $4))
			OR length(u.w) < $2
			OR EXISTS (SELECT 1 FROM search_terms t WHERE t.term = u.w)
			OR (u.n = $3 AND EXISTS (SELECT 1 FROM search_terms t WHERE t.term LIKE u.w || '%'))
		THEN u.w
		ELSE coalesce((SELECT t.term FROM search_terms t WHERE t.term % u.w
			ORDER BY similarity(t.term, u.w) DESC, t.docs DESC, t.term COLLATE "C" LIMIT 1), u.w) END
	FROM unnest($1::text[]) WITH ORDINALITY AS u(w, n) ORDER BY u.n`
