"""The supervisor's dashboard: the figures of the whole desk at one glance; service-level
breaches (the worker's sweep that tells people, the dashboard's panel)."""
