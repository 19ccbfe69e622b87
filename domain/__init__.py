"""The domain of administrative files (hồ sơ): lifecycle rules, procedures, working-time deadlines.

Pure: no I/O, no clock, no randomness. Time and identifiers are passed in.
"""
