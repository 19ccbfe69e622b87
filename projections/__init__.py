"""Read models rebuilt from the verified event stream."""
