package postgres

import (
	"strings"
	"unicode"
)

// splitWords lower-cases text and splits it into its runs of letters and digits. Nothing else
// of what a shopper typed reaches tsquery syntax, so no input can inject operators into it.
func splitWords(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// prefixQuery is the to_tsquery text that needs every word, the last one as a prefix because
// the shopper may still be typing it. A non-empty weight restricts every word to that weight
// of products.search ("A" is the name).
func prefixQuery(words []string, weight string) string {
	parts := make([]string, len(words))
	for i, w := range words {
		if i == len(words)-1 {
			parts[i] = w + ":*" + weight
		} else if weight != "" {
			parts[i] = w + ":" + weight
		} else {
			parts[i] = w
		}
	}
	return strings.Join(parts, " & ")
}
