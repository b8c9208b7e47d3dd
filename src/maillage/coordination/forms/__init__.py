"""Forms of coordination."""
