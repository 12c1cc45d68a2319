"""The shared store: opening the database (database), system settings, the audit trail, noticing other
sessions' commits (live), presence, people and their roles (users), and the quick start-up read (quickopen)."""
