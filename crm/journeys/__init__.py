"""The domain heart: operations (every write) and reusable reads. Free of Flask.

Operations validate, change, flush, and never commit: the request or CLI command that calls
them commits once. They find their session through the acting user (``object_session(by)``).
"""
