"""The edges: CLI (and later HTTP). The only place that knows concrete configuration."""
