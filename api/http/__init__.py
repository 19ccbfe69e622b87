"""The HTTP service (FastAPI): app factory, middleware, problem details, auth, routes and their
schemas.
"""
