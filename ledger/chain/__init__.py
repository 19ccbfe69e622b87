"""Each file's hash chain: commands that append signed events, receipts, client-signed intake, and
the chain's verification.
"""
