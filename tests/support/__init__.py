"""Test support library: builders, helpers and fixtures' pieces shared by the test modules."""
