"""Views of the sessions app."""
