"""The new-ticket wizard as data.

- draft: `Draft`, a frozen dataclass holding every step's data, and the pure
  functions that validate and advance it;
- actions: the attachments, tasks and e-mails the first contact adds;
- orders: service orders and the technicians' agendas;
- options: the reference data the steps offer (destinations, types, people,
  technicians, e-mail templates);
- saving: `start` reserves the protocol, `save` writes the draft (JSON, keyed
  by protocol and owner) at every step change so an SSH drop or a `kill -9`
  loses nothing, `pending_drafts` offers it back, `cancel` abandons it;
- finishing: `finish` writes the ticket and everything attached to it in one
  transaction, with an audit row.
"""
