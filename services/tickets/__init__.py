"""Tickets: protocol numbers, the new-ticket wizard, the ticket's thread and items, links between
tickets, the queues, reading tickets (records), the guided scripts and service levels (sla)."""
