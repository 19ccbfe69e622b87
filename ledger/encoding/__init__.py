"""The one canonical encoding (RFC 8785 JSON), the instant format, the event codec, the signed
envelope, and the fast decoding paths proven equal to them.
"""
