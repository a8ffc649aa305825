"""Writes of the consent app."""
