"""Loading and validating the YAML configuration of an account (offline)."""
