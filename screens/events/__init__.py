"""Events: the board, one event, its form, event types, check-in; the event and certificates commands."""
