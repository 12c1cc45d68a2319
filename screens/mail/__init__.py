"""Mail: the outbox and the e-mail templates; the outbox command."""
