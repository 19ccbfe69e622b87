"""The signed envelope, the event store, the per-file hash chain, personal-data sealing, audit."""
