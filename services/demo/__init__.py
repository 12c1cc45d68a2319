"""Demo data: build orchestrates every area's fill in a fixed order and seed; one module per area."""
