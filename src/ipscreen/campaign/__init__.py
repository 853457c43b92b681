"""Campaigns: configuration (TOML presets), the SQLite store and the stage runner."""
