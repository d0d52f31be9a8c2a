"""The studio's screens, one module each."""
