"""Every write of coordination: atomic, checked against the access policy, audited."""
