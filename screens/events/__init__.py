"""Events and their certificates."""
