"""Sign-in: users, credentials, sessions and tokens, one-time codes, throttling, proxy grants."""
