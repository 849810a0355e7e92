package store

// The analytics rollups (migration 00018, docs/ANALYTICS.md) are maintained by countSales in the
// statement that counts the sales, so they always equal the facts. These are the parts of that
// statement; each reads the CTE facts (the lines counted now, with their hour).

// orderKeysSQL claims the order keys new to each rollup level: an order counts once per product,
// once per seller and once for the platform in an hour and currency, however many of its lines
// there are and however many calls count them. Keys are claimed in key order so two counts of
// lines of one order never deadlock.
const orderKeysSQL = `
		product_orders AS (
			INSERT INTO sale_order_products (source, external_order_id, product_id, currency, hour)
			SELECT DISTINCT source, external_order_id, product_id, currency, hour FROM facts ORDER BY 1, 2, 3, 4, 5
			ON CONFLICT DO NOTHING
			RETURNING product_id, currency, hour),
		seller_orders AS (
			INSERT INTO sale_order_sellers (source, external_order_id, seller_id, currency, hour)
			SELECT DISTINCT source, external_order_id, seller_id, currency, hour FROM facts ORDER BY 1, 2, 3, 4, 5
			ON CONFLICT DO NOTHING
			RETURNING seller_id, currency, hour),
		platform_orders AS (
			INSERT INTO sale_order_hours (source, external_order_id, currency, hour)
			SELECT DISTINCT source, external_order_id, currency, hour FROM facts ORDER BY 1, 2, 3, 4
			ON CONFLICT DO NOTHING
			RETURNING source, external_order_id, currency, hour)`

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
