"""Health, readiness and the doctor's checks."""
