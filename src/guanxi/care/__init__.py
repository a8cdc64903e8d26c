"""Customer care: campaigns, triggers, templates, the outbox and its channels."""
