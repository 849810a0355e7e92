package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"
	"golang.org/x/text/unicode/norm"

	"shopflow/errs"
)

// Category is a node of the catalog tree; ParentID is nil for a root.
type Category struct {
	ID        int64     `json:"id"`
	ParentID  *int64    `json:"parent_id"`
	Name      string    `json:"name"`
	Slug      string    `json:"slug"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Limits of a category's text, matching the schema's checks.
const (
	MaxCategoryNameLen = 120
	MaxSlugLen         = 120
)

// validSlug is the schema's slug rule: lower-case letters and digits in dash-separated words.
var validSlug = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ValidSlug reports whether slug is well formed.
func ValidSlug(slug string) bool { return len(slug) <= MaxSlugLen && validSlug.MatchString(slug) }

// Slugify derives a slug from a name: accents dropped, lower case, every run of other characters
// turned into one dash. It returns "" when the name has no letters or digits it can use.
func Slugify(name string) string {
	var b strings.Builder
	pendingDash := false
	for _, r := range norm.NFKD.String(name) {
		r = unicode.ToLower(r)
		switch {
		case unicode.Is(unicode.Mn, r): // a combining accent left by the decomposition
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if pendingDash && b.Len() > 0 {
				b.WriteByte('-')
			}
			pendingDash = false
			b.WriteRune(r)
		default:
			pendingDash = true
		}
	}
	slug := b.String()
	if len(slug) > MaxSlugLen {
		slug = strings.TrimRight(slug[:MaxSlugLen], "-")
	}
	return slug
}

// NewCategory is what CreateCategory needs. An empty Slug is derived from Name.
type NewCategory struct {
	Name     string
	Slug     string
	ParentID *int64
}

// CategoryUpdate changes the fields that are set. SetParent moves the category under ParentID,
// or to the root when ParentID is nil.
type CategoryUpdate struct {
	Name      *string
	Slug      *string
	SetParent bool
	ParentID  *int64
}

const categoryColumns = `id, parent_id, name, slug, created_at, updated_at`

func scanCategory(row pgx.Row) (Category, error) {
	var c Category
	err := row.Scan(&c.ID, &c.ParentID, &c.Name, &c.Slug, &c.CreatedAt, &c.UpdatedAt)
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	return c, err
}

// Categories lists categories by name; with parentID set, only that category's children.
// Like every catalog read it may come from a replica (Reader).
func (s *Store) Categories(ctx context.Context, parentID *int64) ([]Category, error) {
	rows, err := s.Reader(ctx).Query(ctx, `SELECT `+categoryColumns+` FROM categories
		WHERE $1::bigint IS NULL OR parent_id = $1 ORDER BY name, id`, parentID)
	if err != nil {
		return nil, fmt.Errorf("list categories: %w", classify(err, "category"))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Category, error) { return scanCategory(r) })
	if err != nil {
		return nil, fmt.Errorf("list categories: %w", classify(err, "category"))
	}
	return out, nil
}

// CategoryByID returns one category.
func (s *Store) CategoryByID(ctx context.Context, id int64) (Category, error) {
	c, err := scanCategory(s.Reader(ctx).QueryRow(ctx, `SELECT `+categoryColumns+` FROM categories WHERE id = $1`, id))
	if err != nil {
		return Category{}, fmt.Errorf("category %d: %w", id, classify(err, "category"))
	}
	return c, nil
}

// CreateCategory inserts a category. A taken slug is a conflict; an unknown parent is a
// validation error.
func (s *Store) CreateCategory(ctx context.Context, nc NewCategory) (Category, error) {
	if nc.Slug == "" {
		nc.Slug = Slugify(nc.Name)
		if nc.Slug == "" {
			return Category{}, fieldError("slug", "is required when name has no letters or digits to derive it from")
		}
	}
	var c Category
	err := s.queryRowInTx(ctx, func(row pgx.Row) (err error) {
		c, err = scanCategory(row)
		return err
	}, `INSERT INTO categories (parent_id, name, slug) VALUES ($1, $2, $3)
		RETURNING `+categoryColumns, nc.ParentID, nc.Name, nc.Slug)
	if err != nil {
		return Category{}, fmt.Errorf("create category %q: %w", nc.Name, categoryWriteError(err))
	}
	return c, nil
}

// categoryTreeLock serialises moves within the category tree, so two concurrent moves cannot
// together make a cycle that neither would make alone.
const categoryTreeLock = 0x5f_ca7e_6081

// UpdateCategory changes a category. Moving it under itself or one of its descendants is a
// validation error, as is moving it under a category that does not exist.
func (s *Store) UpdateCategory(ctx context.Context, id int64, u CategoryUpdate) (Category, error) {
	var c Category
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		if u.SetParent && u.ParentID != nil {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(categoryTreeLock)); err != nil {
				return classify(err, "category")
			}
		}
		if _, err := scanCategory(tx.QueryRow(ctx, `SELECT `+categoryColumns+` FROM categories WHERE id = $1 FOR UPDATE`, id)); err != nil {
			return classify(err, "category")
		}
		if u.SetParent && u.ParentID != nil {
			if err := checkNewParent(ctx, tx, id, *u.ParentID); err != nil {
				return err
			}
		}
		var err error
		c, err = scanCategory(tx.QueryRow(ctx, `UPDATE categories SET
				name = coalesce($2, name),
				slug = coalesce($3, slug),
				parent_id = CASE WHEN $4 THEN $5 ELSE parent_id END,
				updated_at = now()
			WHERE id = $1 RETURNING `+categoryColumns, id, u.Name, u.Slug, u.SetParent, u.ParentID))
		if err != nil {
			return categoryWriteError(err)
		}
		return nil
	})
	if err != nil {
		return Category{}, fmt.Errorf("update category %d: %w", id, err)
	}
	return c, nil
}

// checkNewParent fails unless parentID exists and is neither id nor one of id's descendants,
// found by walking up from parentID: if the walk meets id, the move would close a loop.
func checkNewParent(ctx context.Context, tx pgx.Tx, id, parentID int64) error {
	var exists, cycle bool
	err := tx.QueryRow(ctx, `WITH RECURSIVE ancestors AS (
			SELECT id, parent_id FROM categories WHERE id = $2
			UNION
			SELECT c.id, c.parent_id FROM categories c JOIN ancestors a ON c.id = a.parent_id
		)
		SELECT EXISTS (SELECT 1 FROM ancestors WHERE id = $2), EXISTS (SELECT 1 FROM ancestors WHERE id = $1)`,
		id, parentID).Scan(&exists, &cycle)
	switch {
	case err != nil:
		return classify(err, "category")
	case !exists:
		return fieldError("parent_id", fmt.Sprintf("category %d does not exist", parentID))
	case cycle:
		return fieldError("parent_id", "would make the category its own ancestor")
	}
	return nil
}

// DeleteCategory deletes a category that has no subcategories and no products (in any status,
// since archived products still point at it for order history).
func (s *Store) DeleteCategory(ctx context.Context, id int64) error {
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		// Locking the row first makes concurrent inserts of children or products wait for us
		// (their foreign key check needs a share lock on it), so the counts below stay true.
		if _, err := scanCategory(tx.QueryRow(ctx, `SELECT `+categoryColumns+` FROM categories WHERE id = $1 FOR UPDATE`, id)); err != nil {
			return classify(err, "category")
		}
		var children, products int64
		if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM categories WHERE parent_id = $1),
				(SELECT count(*) FROM products WHERE category_id = $1)`, id).Scan(&children, &products); err != nil {
			return classify(err, "category")
		}
		if children > 0 || products > 0 {
			return errs.E(errs.Conflict, "category %d still has %d subcategories and %d products; move or remove them first", id, children, products).
				WithDetails("children", children).WithDetails("products", products)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM categories WHERE id = $1`, id); err != nil {
			if isForeignKey(err) {
				return errs.Wrap(err, errs.Conflict, "category %d is still in use", id)
			}
			return classify(err, "category")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete category %d: %w", id, err)
	}
	return nil
}

func categoryWriteError(err error) error {
	switch {
	case isUnique(err, "categories_slug_key"):
		return errs.Wrap(err, errs.Conflict, "a category with this slug already exists").WithDetails("fields", map[string]string{"slug": "is taken"})
	case isForeignKey(err):
		return fieldError("parent_id", "no such category")
	}
	return classify(err, "category")
}

// fieldError is a validation failure of one request field, in the API's details shape.
func fieldError(field, problem string) *errs.Error {
	return errs.E(errs.Unprocessable, "%s %s", field, problem).WithDetails("fields", map[string]string{field: problem})
}

// CategoryIDByName finds a category by its slug or its name (any case), preferring the slug;
// 0 when there is none. Names are not unique, so among equal names the oldest wins.
func (s *Store) CategoryIDByName(ctx context.Context, name string) (int64, error) {
	var id int64
	err := s.Reader(ctx).QueryRow(ctx, `SELECT id FROM categories WHERE slug = lower($1) OR lower(name) = lower($1)
		ORDER BY slug = lower($1) DESC, id LIMIT 1`, name).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("category named %q: %w", name, classify(err, "category"))
	}
	return id, nil
}
