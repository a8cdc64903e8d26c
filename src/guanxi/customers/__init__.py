"""Customer data platform: profiles, identities, orders, events, import, identity resolution."""
