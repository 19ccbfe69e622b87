"""The HTTP routes, one module per resource; commands by signing mode."""
