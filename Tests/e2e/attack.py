"""Signed-in sessions for the attack tools, made before any tool attacks the sign-in form
(whose failed attempts throttle further sign-ins from this address)."""

import pytest

from portal import ADMIN, Actor

# Accounts the attack tools act as; not the ones the matrix or the browser flows rely on.
SQLMAP_ACCOUNTS = {"patient": "patient5@demo.test", "doctor": "doctor3@demo.test", "admin": ADMIN}
WAPITI_ACCOUNTS = {"patient": "patient4@demo.test", "doctor": "doctor2@demo.test", "admin": ADMIN}

_SESSIONS: dict[str, Actor] = {}


def sessions() -> dict[str, Actor]:
    """sqlmap-<role> and wapiti-<role> sessions, signed in once for the whole run."""
    if not _SESSIONS:
        for tool, accounts in (("sqlmap", SQLMAP_ACCOUNTS), ("wapiti", WAPITI_ACCOUNTS)):
            for role, email in accounts.items():
                _SESSIONS[f"{tool}-{role}"] = Actor(f"{tool} {role}", email)
    return _SESSIONS


def cookie_header(actor: Actor) -> str:
    return "; ".join(f"{name}={value}" for name, value in actor.session_cookie().items())
