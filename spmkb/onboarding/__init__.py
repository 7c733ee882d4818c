"""spmkb.onboarding."""
