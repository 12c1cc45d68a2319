"""Scheduling: triage, bookings and the rota."""
