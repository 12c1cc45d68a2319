"""The supervisor's dashboard: the figures of the whole desk at one glance."""
