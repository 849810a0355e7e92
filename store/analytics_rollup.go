package store

// The analytics rollups (migration 00018, docs/ANALYTICS.md) are maintained by countSalesOf in the
// statement that counts the sales, so they always equal the facts. These are the parts of that
// statement; each reads the CTE facts (the lines counted now, with their hour).

// orderKeysSQL claims, per order, hour and currency, the sellers and products new to the order:
// an order counts once per product, once per seller and once for the platform in an hour and
// currency, however many of its lines there are and however many calls count them. The upsert
// locks the order's row, so concurrent counts of one order take turns, and claims rows in key
// order so they never deadlock. product_orders, seller_orders and platform_orders are the new
// keys at each level.
const orderKeysSQL = `
		order_keys AS (
			INSERT INTO sale_order_hours AS t (source, external_order_id, currency, hour, sellers, products, new_sellers, new_products, fresh)
			SELECT source, external_order_id, currency, hour, s, p, s, p, true
			FROM (SELECT source, external_order_id, currency, hour,
			             array_agg(DISTINCT seller_id ORDER BY seller_id) AS s, array_agg(DISTINCT product_id ORDER BY product_id) AS p
			      FROM facts GROUP BY 1, 2, 3, 4) f
			ORDER BY 1, 2, 3, 4
			ON CONFLICT (source, external_order_id, currency, hour) DO UPDATE
			SET new_sellers = ARRAY(SELECT x FROM unnest(EXCLUDED.sellers) x EXCEPT SELECT y FROM unnest(t.sellers) y),
			    new_products = ARRAY(SELECT x FROM unnest(EXCLUDED.products) x EXCEPT SELECT y FROM unnest(t.products) y),
			    sellers = ARRAY(SELECT DISTINCT x FROM unnest(t.sellers || EXCLUDED.sellers) x ORDER BY x),
			    products = ARRAY(SELECT DISTINCT x FROM unnest(t.products || EXCLUDED.products) x ORDER BY x),
			    fresh = false
			RETURNING source, external_order_id, currency, hour, new_sellers, new_products, fresh),
		product_orders AS (SELECT p AS product_id, currency, hour FROM order_keys, unnest(new_products) p),
		seller_orders AS (SELECT s AS seller_id, currency, hour FROM order_keys, unnest(new_sellers) s),
		platform_orders AS (SELECT source, external_order_id, currency, hour FROM order_keys WHERE fresh)`

// sellerRollupSQL adds the lines counted now to seller_sales_hourly. A platform order new now is
// credited to the first (lowest id) seller among its lines counted now, so the sum over sellers
// counts it once.
const sellerRollupSQL = `
		seller_rolled AS (
			INSERT INTO seller_sales_hourly AS s (seller_id, hour, currency, units, orders, platform_orders, gross_cents, discount_cents)
			SELECT f.seller_id, f.hour, f.currency, f.units, coalesce(o.n, 0), coalesce(p.n, 0), f.gross, f.discount
			FROM (SELECT seller_id, hour, currency, sum(quantity) AS units,
			             least(sum(quantity::numeric * unit_price_cents), ` + maxCents + `)::bigint AS gross,
			             least(sum(discount_cents), ` + maxCents + `)::bigint AS discount
			      FROM facts GROUP BY 1, 2, 3) f
			LEFT JOIN (SELECT seller_id, hour, currency, count(*) AS n FROM seller_orders GROUP BY 1, 2, 3) o
			       USING (seller_id, hour, currency)
			LEFT JOIN (SELECT first.seller_id, po.hour, po.currency, count(*) AS n
			           FROM platform_orders po
			           JOIN (SELECT source, external_order_id, currency, hour, min(seller_id::text)::uuid AS seller_id
			                 FROM facts GROUP BY 1, 2, 3, 4) first USING (source, external_order_id, currency, hour)
			           GROUP BY 1, 2, 3) p
			       USING (seller_id, hour, currency)
			ORDER BY 1, 2, 3
			ON CONFLICT (seller_id, hour, currency) DO UPDATE
			SET units = s.units + EXCLUDED.units,
			    orders = s.orders + EXCLUDED.orders,
			    platform_orders = s.platform_orders + EXCLUDED.platform_orders,
			    gross_cents = least(s.gross_cents::numeric + EXCLUDED.gross_cents, ` + maxCents + `)::bigint,
			    discount_cents = least(s.discount_cents::numeric + EXCLUDED.discount_cents, ` + maxCents + `)::bigint
			RETURNING 1)`
