"""``linkage demo`` and the scripted members (``scenario``) it shares with the tests and benches."""
