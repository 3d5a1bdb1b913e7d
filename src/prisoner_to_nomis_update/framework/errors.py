"""Exceptions a domain raises to choose the HTTP answer of its endpoints (framework.md 7.2)."""

from __future__ import annotations


class BadRequest(Exception):
    """Answered 400 'Bad Request: <message>' (typically a downstream failure the caller caused)."""


class NotFound(Exception):
    """Answered 404 'Not Found: <message>'."""


class Conflict(Exception):
    """Answered 409 with the message."""


class ValidationFailure(Exception):
    """Answered 400 'Validation failure: <message>'."""
