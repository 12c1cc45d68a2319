"""Mail: the outbox."""
