"""Administration: people and their roles; the users, settings, audit and who commands."""
