"""Contact us: a company representative's home, form and thread, and the setup of what they choose from."""
