"""Scheduling: triage, booking a session, the month's bookings, the rota, the topic catalogue; their commands."""
