"""calculators package."""
