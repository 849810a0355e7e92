package config

// ReviewConfig is how product reviews are moderated.
type ReviewConfig struct {
	// ReviewsAutoPublish publishes new and edited reviews at once, without waiting for an
	// admin; false (the default) holds them as pending until an admin publishes or rejects them.
	ReviewsAutoPublish bool `env:"SHOPFLOW_REVIEWS_AUTO_PUBLISH" envDefault:"false"`
}

// validateReviews checks the review settings. A boolean has nothing to cross-check: parsing
// already refuses anything but true or false.
func (c Config) validateReviews(p *problems) {}
