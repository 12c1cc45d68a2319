"""Every rule, query and transaction of Atende. Never imports the UI."""
