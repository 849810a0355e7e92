package store

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// TaxRate is the rate of one tax class in a destination: a country, or one of its regions
// (which then wins over the country's rate). RatePPM is in parts per million: 19% is 190000.
type TaxRate struct {
	ID       int64  `json:"id"`
	Country  string `json:"country"`
	Region   string `json:"region"`
	TaxClass string `json:"tax_class"`
	// Rate is RatePPM as a decimal percent ("19", "8.875"), the form admins write it in.
	Rate      string    `json:"rate"`
	RatePPM   int       `json:"rate_ppm"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// DefaultTaxClass is the tax class of a product that names none.
const DefaultTaxClass = "standard"

// Limits of a tax rate, matching the schema's checks.
const (
	MaxTaxRatePPM     = 1_000_000
	MaxTaxRegionLen   = 100
	MaxTaxRateNameLen = 120
)

// validTaxClass is the schema's tax class rule.
var validTaxClass = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// ValidTaxClass reports whether class is a well-formed tax class name.
func ValidTaxClass(class string) bool { return validTaxClass.MatchString(class) }

// FormatScaled writes n, an amount in units of 10^-decimals, as a decimal without trailing
// zeros: FormatScaled(88750, 4) is "8.875".
func FormatScaled(n int64, decimals int) string {
	neg := n < 0
	if neg {
		n = -n
	}
	scale := int64(1)
	for range decimals {
		scale *= 10
	}
	out := strconv.FormatInt(n/scale, 10)
	if frac := n % scale; frac != 0 {
		f := strconv.FormatInt(frac, 10)
		f = strings.Repeat("0", decimals-len(f)) + f
		out += "." + strings.TrimRight(f, "0")
	}
	if neg {
		out = "-" + out
	}
	return out
}

// NewTaxRate is what CreateTaxRate needs; Region "" is the whole country.
type NewTaxRate struct {
	Country  string
	Region   string
	TaxClass string
	RatePPM  int
	Name     string
}

// TaxRateUpdate changes the fields that are set.
type TaxRateUpdate struct {
	Country  *string
	Region   *string
	TaxClass *string
	RatePPM  *int
	Name     *string
}

const taxRateColumns = `id, country, region, tax_class, rate_ppm, name, created_at, updated_at`

func scanTaxRate(row pgx.Row) (TaxRate, error) {
	var r TaxRate
	err := row.Scan(&r.ID, &r.Country, &r.Region, &r.TaxClass, &r.RatePPM, &r.Name, &r.CreatedAt, &r.UpdatedAt)
	r.Rate = FormatScaled(int64(r.RatePPM), 4)
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	return r, err
}

// TaxRates lists tax rates by country, region and class; with country set, only that country's.
func (s *Store) TaxRates(ctx context.Context, country string) ([]TaxRate, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+taxRateColumns+` FROM tax_rates
		WHERE $1 = '' OR country = $1 ORDER BY country, region, tax_class, id`, country)
	if err != nil {
		return nil, fmt.Errorf("list tax rates: %w", classify(err, "tax rate"))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (TaxRate, error) { return scanTaxRate(r) })
	if err != nil {
		return nil, fmt.Errorf("list tax rates: %w", classify(err, "tax rate"))
	}
	return out, nil
}

// TaxRateByID returns one tax rate.
func (s *Store) TaxRateByID(ctx context.Context, id int64) (TaxRate, error) {
	r, err := scanTaxRate(s.Pool.QueryRow(ctx, `SELECT `+taxRateColumns+` FROM tax_rates WHERE id = $1`, id))
	if err != nil {
		return TaxRate{}, fmt.Errorf("tax rate %d: %w", id, classify(err, "tax rate"))
	}
	return r, nil
}

// CreateTaxRate adds a tax rate. A rate for the same country, region and class is a conflict.
func (s *Store) CreateTaxRate(ctx context.Context, n NewTaxRate) (TaxRate, error) {
	var r TaxRate
	err := s.queryRowInTx(ctx, func(row pgx.Row) (err error) {
		r, err = scanTaxRate(row)
		return err
	}, `INSERT INTO tax_rates (country, region, tax_class, rate_ppm, name)
		VALUES ($1, $2, $3, $4, $5) RETURNING `+taxRateColumns, n.Country, n.Region, n.TaxClass, n.RatePPM, n.Name)
	if err != nil {
		return TaxRate{}, fmt.Errorf("create tax rate %s/%s/%s: %w", n.Country, n.Region, n.TaxClass,
			taxRateWriteError(err, n.Country, n.Region, n.TaxClass))
	}
	return r, nil
}

// UpdateTaxRate changes a tax rate and returns it as it now is.
func (s *Store) UpdateTaxRate(ctx context.Context, id int64, u TaxRateUpdate) (TaxRate, error) {
	var r TaxRate
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		cur, err := scanTaxRate(tx.QueryRow(ctx, `SELECT `+taxRateColumns+` FROM tax_rates WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return classify(err, "tax rate")
		}
		country, region, class := deref(u.Country, cur.Country), deref(u.Region, cur.Region), deref(u.TaxClass, cur.TaxClass)
		r, err = scanTaxRate(tx.QueryRow(ctx, `UPDATE tax_rates SET country = $2, region = $3, tax_class = $4,
				rate_ppm = coalesce($5, rate_ppm), name = coalesce($6, name), updated_at = now()
			WHERE id = $1 RETURNING `+taxRateColumns, id, country, region, class, u.RatePPM, u.Name))
		if err != nil {
			return taxRateWriteError(err, country, region, class)
		}
		return nil
	})
	if err != nil {
		return TaxRate{}, fmt.Errorf("update tax rate %d: %w", id, err)
	}
	return r, nil
}

// DeleteTaxRate removes a tax rate. Orders keep the rate they were charged on their lines.
func (s *Store) DeleteTaxRate(ctx context.Context, id int64) error {
	tag, err := s.execInTx(ctx, `DELETE FROM tax_rates WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete tax rate %d: %w", id, classify(err, "tax rate"))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete tax rate %d: %w", id, errs.E(errs.NotFound, "tax rate not found"))
	}
	return nil
}

// taxRateWriteError says which rule a tax rate write broke. Its conflict carries no Postgres
// cause: the API would otherwise name the constraint's columns as one made-up field.
func taxRateWriteError(err error, country, region, class string) error {
	if isUnique(err, "tax_rates_country_region_tax_class_key") {
		where := "the whole of " + country
		if region != "" {
			where = country + " region " + region
		}
		return errs.E(errs.Conflict, "a tax rate for %s, tax class %s, already exists", where, class).
			WithDetails("fields", map[string]string{"tax_class": "already has a rate in this country and region"})
	}
	return classify(err, "tax rate")
}

// deref is *p, or def when p is nil.
func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
