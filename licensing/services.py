"""Writes of the licensing app."""
