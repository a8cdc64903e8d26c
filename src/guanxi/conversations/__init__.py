"""One inbox for every conversation: live chat, social messages and comments, e-mail and calls."""
