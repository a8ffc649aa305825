"""Views of the licensing app."""
