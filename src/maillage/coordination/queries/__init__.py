"""Every read of coordination, through the access policy."""
