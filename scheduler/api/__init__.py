"""The REST API: one router per resource; ``deps`` holds the shared dependencies."""
