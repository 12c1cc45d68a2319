"""The supervisor's area: the dashboard, the audit log, who is online."""
