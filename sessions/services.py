"""Writes of the sessions app: booking, state moves, chat messages. State moves happen only here."""
