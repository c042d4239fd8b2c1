"""Services: one function per user action, each a transaction; UI, CLI and notebooks call them."""
