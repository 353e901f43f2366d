"""Claims and the certificates that carry their evidence to the checker."""
