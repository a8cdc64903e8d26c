"""Service desk: tickets, categories, SLA, returns, surveys."""
