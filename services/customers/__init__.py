"""Customers: the lookup the wizard, triage and the desk share, a customer's contacts and plans, the
CSV import, and router data for a plan."""
