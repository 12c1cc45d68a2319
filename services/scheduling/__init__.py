"""Scheduling: the triage of requests that need the implementation team, its topic catalogue, the
analysts' rota and the bookings."""
