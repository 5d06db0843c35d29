"""Registrations (memberships) a leader decides on."""

from __future__ import annotations

from handlers.access.people import access_member

# A membership (its person and organization loaded) of an organization the actor runs;
# whether it is still pending is for the decision to tell.
access_registration = access_member
