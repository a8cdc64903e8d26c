"""Scheduled jobs keyed by (job, period) under leases, and a task queue in the database."""
