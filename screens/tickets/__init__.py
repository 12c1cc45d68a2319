"""The service desk: tickets, the Contact us desk, exports and customer imports."""
