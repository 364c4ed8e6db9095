"""scsync: configuration as code for Qualtrics Social Connect (plan and apply, like Terraform)."""

__version__ = "0.1.0"
