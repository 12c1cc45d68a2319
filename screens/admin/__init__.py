"""Administration: people, system parameters, the audit log, who is online."""
