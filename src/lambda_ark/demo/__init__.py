"""The demo estate and scenario (`lambda-ark demo`)."""
