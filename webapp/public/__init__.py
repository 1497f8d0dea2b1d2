"""Public pages: the home page, search, browse and a credential. No login."""
