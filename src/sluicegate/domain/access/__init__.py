"""Access: roles, reviewer domains, authorisation, and just-in-time elevation."""
