"""Organizations, users, memberships, access requests, API tokens and passwords."""
