"""Account pages: log in and out, register, request access, and organization administration."""
