"""Shared web layer: templates, translations, the acting user, error rendering."""
