package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"shopflow/errs"
)

// ShippingZone is a set of destination countries that share shipping methods. A country is in
// at most one zone, so an address's zone is never ambiguous.
type ShippingZone struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Countries []string  `json:"countries"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Shipping method kinds: a flat price per shipment, or a price plus a price per started kilogram.
const (
	ShippingFlat   = "flat"
	ShippingWeight = "weight"
)

// ShippingMethod is a way to ship within a zone, priced per shipment (one per seller in an
// order). FreeOverCents, when set, makes a shipment whose goods reach it free.
type ShippingMethod struct {
	ID            int64     `json:"id"`
	ZoneID        int64     `json:"zone_id"`
	Code          string    `json:"code"`
	Name          string    `json:"name"`
	Kind          string    `json:"kind"`
	Currency      string    `json:"currency"`
	PriceCents    int64     `json:"price_cents"`
	PerKgCents    int64     `json:"per_kg_cents"`
	FreeOverCents *int64    `json:"free_over_cents"`
	Active        bool      `json:"active"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// Limits of shipping zones and methods, matching the schema's checks.
const (
	MaxShippingNameLen       = 120
	MaxShippingCodeLen       = 60
	MaxShippingPriceCents    = 100_000_000
	MaxShippingFreeOverCents = 100_000_000_000
)

// NewShippingZone is what CreateShippingZone needs: countries are upper-case ISO 3166-1 alpha-2.
type NewShippingZone struct {
	Name      string
	Countries []string
}

// ShippingZoneUpdate changes the fields that are set; Countries, when set, replaces the zone's
// countries as a whole.
type ShippingZoneUpdate struct {
	Name      *string
	Countries *[]string
}

// NewShippingMethod is what CreateShippingMethod needs.
type NewShippingMethod struct {
	Code          string
	Name          string
	Kind          string
	Currency      string
	PriceCents    int64
	PerKgCents    int64
	FreeOverCents *int64
	Active        bool
}

// ShippingMethodUpdate changes the fields that are set; SetFreeOver sets FreeOverCents, nil
// meaning never free.
type ShippingMethodUpdate struct {
	Code          *string
	Name          *string
	Kind          *string
	Currency      *string
	PriceCents    *int64
	PerKgCents    *int64
	SetFreeOver   bool
	FreeOverCents *int64
	Active        *bool
}

const shippingZoneSelect = `SELECT z.id, z.name,
		coalesce((SELECT array_agg(c.country::text ORDER BY c.country) FROM shipping_zone_countries c WHERE c.zone_id = z.id), '{}'),
		z.created_at, z.updated_at
	FROM shipping_zones z`

func scanShippingZone(row pgx.Row) (ShippingZone, error) {
	var z ShippingZone
	err := row.Scan(&z.ID, &z.Name, &z.Countries, &z.CreatedAt, &z.UpdatedAt)
	z.CreatedAt, z.UpdatedAt = z.CreatedAt.UTC(), z.UpdatedAt.UTC()
	return z, err
}

const shippingMethodColumns = `id, zone_id, code, name, kind, currency, price_cents, per_kg_cents, free_over_cents,
	active, created_at, updated_at`

func scanShippingMethod(row pgx.Row) (ShippingMethod, error) {
	var m ShippingMethod
	err := row.Scan(&m.ID, &m.ZoneID, &m.Code, &m.Name, &m.Kind, &m.Currency, &m.PriceCents, &m.PerKgCents,
		&m.FreeOverCents, &m.Active, &m.CreatedAt, &m.UpdatedAt)
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	return m, err
}

// ShippingZones lists every zone with its countries, by name.
func (s *Store) ShippingZones(ctx context.Context) ([]ShippingZone, error) {
	rows, err := s.Pool.Query(ctx, shippingZoneSelect+` ORDER BY lower(z.name), z.id`)
	if err != nil {
		return nil, fmt.Errorf("list shipping zones: %w", classify(err, "shipping zone"))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (ShippingZone, error) { return scanShippingZone(r) })
	if err != nil {
		return nil, fmt.Errorf("list shipping zones: %w", classify(err, "shipping zone"))
	}
	return out, nil
}

// ShippingZoneByID returns one zone with its countries.
func (s *Store) ShippingZoneByID(ctx context.Context, id int64) (ShippingZone, error) {
	z, err := scanShippingZone(s.Pool.QueryRow(ctx, shippingZoneSelect+` WHERE z.id = $1`, id))
	if err != nil {
		return ShippingZone{}, fmt.Errorf("shipping zone %d: %w", id, classify(err, "shipping zone"))
	}
	return z, nil
}

// CreateShippingZone adds a zone and its countries in one transaction. A name taken (in any
// case) and a country already in another zone are conflicts.
func (s *Store) CreateShippingZone(ctx context.Context, n NewShippingZone) (ShippingZone, error) {
	var z ShippingZone
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO shipping_zones (name) VALUES ($1) RETURNING id`, n.Name).Scan(&id); err != nil {
			return shippingZoneWriteError(err, n.Name)
		}
		if err := addZoneCountries(ctx, tx, id, n.Countries); err != nil {
			return err
		}
		var err error
		z, err = scanShippingZone(tx.QueryRow(ctx, shippingZoneSelect+` WHERE z.id = $1`, id))
		return classify(err, "shipping zone")
	})
	if err != nil {
		return ShippingZone{}, fmt.Errorf("create shipping zone %q: %w", n.Name, err)
	}
	return z, nil
}

// UpdateShippingZone renames a zone or replaces its countries.
func (s *Store) UpdateShippingZone(ctx context.Context, id int64, u ShippingZoneUpdate) (ShippingZone, error) {
	var z ShippingZone
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		cur, err := scanShippingZone(tx.QueryRow(ctx, shippingZoneSelect+` WHERE z.id = $1 FOR UPDATE OF z`, id))
		if err != nil {
			return classify(err, "shipping zone")
		}
		if _, err := tx.Exec(ctx, `UPDATE shipping_zones SET name = coalesce($2, name), updated_at = now() WHERE id = $1`,
			id, u.Name); err != nil {
			return shippingZoneWriteError(err, deref(u.Name, cur.Name))
		}
		if u.Countries != nil {
			if _, err := tx.Exec(ctx, `DELETE FROM shipping_zone_countries WHERE zone_id = $1`, id); err != nil {
				return classify(err, "shipping zone")
			}
			if err := addZoneCountries(ctx, tx, id, *u.Countries); err != nil {
				return err
			}
		}
		z, err = scanShippingZone(tx.QueryRow(ctx, shippingZoneSelect+` WHERE z.id = $1`, id))
		return classify(err, "shipping zone")
	})
	if err != nil {
		return ShippingZone{}, fmt.Errorf("update shipping zone %d: %w", id, err)
	}
	return z, nil
}

// DeleteShippingZone removes a zone with its countries and methods. Orders keep the method
// code, name and price they were charged.
func (s *Store) DeleteShippingZone(ctx context.Context, id int64) error {
	tag, err := s.execInTx(ctx, `DELETE FROM shipping_zones WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete shipping zone %d: %w", id, classify(err, "shipping zone"))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete shipping zone %d: %w", id, errs.E(errs.NotFound, "shipping zone not found"))
	}
	return nil
}

// addZoneCountries puts countries in zone id. A country held by another zone is a conflict
// naming that zone; ON CONFLICT waits for a concurrent transaction adding the same country, so
// two zones racing for one country cannot both win.
func addZoneCountries(ctx context.Context, tx pgx.Tx, id int64, countries []string) error {
	if len(countries) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `INSERT INTO shipping_zone_countries (country, zone_id)
		SELECT unnest($1::text[]), $2 ON CONFLICT (country) DO NOTHING RETURNING country::text`, countries, id)
	if err != nil {
		return classify(err, "shipping zone")
	}
	added, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return classify(err, "shipping zone")
	}
	for _, c := range countries {
		if slices.Contains(added, c) {
			continue
		}
		var otherID int64
		var otherName string
		err := tx.QueryRow(ctx, `SELECT z.id, z.name FROM shipping_zone_countries c JOIN shipping_zones z ON z.id = c.zone_id
			WHERE c.country = $1`, c).Scan(&otherID, &otherName)
		if err != nil {
			return classify(err, "shipping zone")
		}
		return errs.E(errs.Conflict, "country %s is already in shipping zone %d (%s); take it out of that zone first", c, otherID, otherName).
			WithDetails("fields", map[string]string{"countries": c + " is in zone " + otherName}).
			WithDetails("zone_id", otherID)
	}
	return nil
}

// shippingZoneWriteError says which rule a zone write broke. Its conflicts carry no Postgres
// cause: the API would otherwise replace the message with one derived from the constraint's name.
func shippingZoneWriteError(err error, name string) error {
	if isUnique(err, "shipping_zones_name_key") {
		return errs.E(errs.Conflict, "a shipping zone named %q already exists", name).
			WithDetails("fields", map[string]string{"name": "is taken"})
	}
	return classify(err, "shipping zone")
}

// ShippingMethods lists a zone's methods by code; an unknown zone is not found.
func (s *Store) ShippingMethods(ctx context.Context, zoneID int64) ([]ShippingMethod, error) {
	var out []ShippingMethod
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		if err := zoneExists(ctx, tx, zoneID, false); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+shippingMethodColumns+` FROM shipping_methods WHERE zone_id = $1
			ORDER BY code, id`, zoneID)
		if err != nil {
			return classify(err, "shipping method")
		}
		out, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ShippingMethod, error) { return scanShippingMethod(r) })
		return classify(err, "shipping method")
	})
	if err != nil {
		return nil, fmt.Errorf("list shipping methods of zone %d: %w", zoneID, err)
	}
	return out, nil
}

// CreateShippingMethod adds a method to a zone. A code the zone already has is a conflict.
func (s *Store) CreateShippingMethod(ctx context.Context, zoneID int64, n NewShippingMethod) (ShippingMethod, error) {
	var m ShippingMethod
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		// Key share: the zone cannot be deleted under us, and two methods added at once do not wait.
		if err := zoneExists(ctx, tx, zoneID, true); err != nil {
			return err
		}
		var err error
		m, err = scanShippingMethod(tx.QueryRow(ctx, `INSERT INTO shipping_methods
				(zone_id, code, name, kind, currency, price_cents, per_kg_cents, free_over_cents, active)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING `+shippingMethodColumns,
			zoneID, n.Code, n.Name, n.Kind, n.Currency, n.PriceCents, n.PerKgCents, n.FreeOverCents, n.Active))
		if err != nil {
			return shippingMethodWriteError(err, zoneID, n.Code)
		}
		return nil
	})
	if err != nil {
		return ShippingMethod{}, fmt.Errorf("create shipping method %q in zone %d: %w", n.Code, zoneID, err)
	}
	return m, nil
}

// UpdateShippingMethod changes a method. The result must still be consistent: only a weight
// method has a per-kilogram price.
func (s *Store) UpdateShippingMethod(ctx context.Context, id int64, u ShippingMethodUpdate) (ShippingMethod, error) {
	var m ShippingMethod
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		cur, err := scanShippingMethod(tx.QueryRow(ctx, `SELECT `+shippingMethodColumns+` FROM shipping_methods
			WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return classify(err, "shipping method")
		}
		kind, perKg := deref(u.Kind, cur.Kind), deref(u.PerKgCents, cur.PerKgCents)
		if kind != ShippingWeight && perKg != 0 {
			if u.PerKgCents != nil {
				return fieldError("per_kg_cents", "must be 0 unless kind is weight")
			}
			return fieldError("kind", "cannot be flat while per_kg_cents is set; send per_kg_cents 0 with it")
		}
		free := cur.FreeOverCents
		if u.SetFreeOver {
			free = u.FreeOverCents
		}
		code := deref(u.Code, cur.Code)
		m, err = scanShippingMethod(tx.QueryRow(ctx, `UPDATE shipping_methods SET code = $2, name = coalesce($3, name),
				kind = $4, currency = coalesce($5, currency), price_cents = coalesce($6, price_cents), per_kg_cents = $7,
				free_over_cents = $8, active = coalesce($9, active), updated_at = now()
			WHERE id = $1 RETURNING `+shippingMethodColumns,
			id, code, u.Name, kind, u.Currency, u.PriceCents, perKg, free, u.Active))
		if err != nil {
			return shippingMethodWriteError(err, cur.ZoneID, code)
		}
		return nil
	})
	if err != nil {
		return ShippingMethod{}, fmt.Errorf("update shipping method %d: %w", id, err)
	}
	return m, nil
}

// DeleteShippingMethod removes a method. Orders keep the code, name and price they were charged.
func (s *Store) DeleteShippingMethod(ctx context.Context, id int64) error {
	tag, err := s.execInTx(ctx, `DELETE FROM shipping_methods WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete shipping method %d: %w", id, classify(err, "shipping method"))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("delete shipping method %d: %w", id, errs.E(errs.NotFound, "shipping method not found"))
	}
	return nil
}

// zoneExists fails with not found unless the zone exists; lock takes a key-share lock on it.
func zoneExists(ctx context.Context, tx pgx.Tx, id int64, lock bool) error {
	q := `SELECT 1 FROM shipping_zones WHERE id = $1`
	if lock {
		q += ` FOR KEY SHARE`
	}
	var one int
	if err := tx.QueryRow(ctx, q, id).Scan(&one); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.Wrap(err, errs.NotFound, "shipping zone %d not found", id)
		}
		return classify(err, "shipping zone")
	}
	return nil
}

// shippingMethodWriteError says which rule a method write broke (no Postgres cause, as for zones).
func shippingMethodWriteError(err error, zoneID int64, code string) error {
	if isUnique(err, "shipping_methods_zone_id_code_key") {
		return errs.E(errs.Conflict, "shipping zone %d already has a method with code %q", zoneID, code).
			WithDetails("fields", map[string]string{"code": "is taken in this zone"})
	}
	return classify(err, "shipping method")
}
