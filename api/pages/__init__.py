"""Pages for people: server-rendered, Vietnamese first, nothing fetched from elsewhere."""
