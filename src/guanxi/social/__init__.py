"""Social listening: mentions and reviews in, sentiment and aspects scored, crises caught, reviews put to work."""
