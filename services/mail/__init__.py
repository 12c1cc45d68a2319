"""E-mail: the outbox (every mail is a row first), sending it (claims, leases, delivery), the transport
(SMTP or .eml files), the templates, and calendar files."""
