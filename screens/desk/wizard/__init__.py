"""The new-ticket wizard: protocol first, then who, what, and the first contact.

- screen: `WizardScreen`, which holds the draft (services.tickets.wizard.draft.Draft),
  shows one step at a time, moves between steps, saves the draft and finishes
  the ticket;
- step: what every step panel is (`Step`) and what it may ask of the screen;
- who: the kind of ticket (and its protocol), the customer lookup, the contact;
- problem: the plan and the problem, the guided script;
- first_contact: destination, type, responsible, checks, solution and the actions;
- actions: the forms that add an attachment, a service order, a task or an e-mail.
"""
