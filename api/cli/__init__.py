"""The hoso command line (Typer): commands and their Rich rendering."""
