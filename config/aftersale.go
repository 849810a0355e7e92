package config

import "time"

// AfterSaleConfig holds the settings of what happens after a sale: returns, the audit trail and
// customers' data rights.
type AfterSaleConfig struct {
	// ReturnWindow is how long after delivery a customer may ask to return a line.
	ReturnWindow time.Duration `env:"SHOPFLOW_RETURN_WINDOW" envDefault:"720h"`
	// ReturnShipWindow is how long an approved return waits for the goods to be shipped back
	// before it expires.
	ReturnShipWindow time.Duration `env:"SHOPFLOW_RETURN_SHIP_WINDOW" envDefault:"336h"`
	// AuditRetention is how long audit records stay in Postgres; older ones are exported to
	// report storage and then removed by the audit retention Schedule.
	AuditRetention time.Duration `env:"SHOPFLOW_AUDIT_RETENTION" envDefault:"8760h"`
	// ExportLinkTTL is how long a customer's data export download link works.
	ExportLinkTTL time.Duration `env:"SHOPFLOW_EXPORT_LINK_TTL" envDefault:"72h"`
}

// validateAfterSale checks the after-sale settings.
func (c Config) validateAfterSale(p *problems) {
	const day = 24 * time.Hour
	if c.ReturnWindow < day || c.ReturnWindow > 366*day {
		p.add("SHOPFLOW_RETURN_WINDOW", "must be between 24h and 8784h, got %s", c.ReturnWindow)
	}
	if c.ReturnShipWindow < time.Hour || c.ReturnShipWindow > 90*day {
		p.add("SHOPFLOW_RETURN_SHIP_WINDOW", "must be between 1h and 2160h, got %s", c.ReturnShipWindow)
	}
	if c.AuditRetention < day || c.AuditRetention > 10*366*day {
		p.add("SHOPFLOW_AUDIT_RETENTION", "must be between 24h and 87840h, got %s", c.AuditRetention)
	}
	if c.ExportLinkTTL < time.Minute || c.ExportLinkTTL > 30*day {
		p.add("SHOPFLOW_EXPORT_LINK_TTL", "must be between 1m and 720h, got %s", c.ExportLinkTTL)
	}
}
