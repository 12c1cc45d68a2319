"""The service desk: the wizard, queues, one ticket, guided scripts; commands ticket, contactus, export, import."""
