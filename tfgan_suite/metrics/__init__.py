"""GAN evaluation: FID, KID, Inception score, precision/recall, feature extractors, callback, CLI."""
