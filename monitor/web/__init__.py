"""The doors into the domain: the app factory, HTTP API, auth, pages and the live stream."""
