"""Pricing tables: import, validation, versioned store and export (see issue tracker)."""
