"""The bottom layer: errors a person may see, permissions, the clock, translations, validation of
Brazilian documents and contacts, text cleaning, business time (working hours and holidays), paths,
the configuration, the log, secrets, taking in files and CSV export. Imports nothing else of services/."""
