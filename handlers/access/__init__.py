"""The only way an action loads what a press points at: each access_* checks the actor may.

Like Zulip's access_* functions: an object comes back only if the actor may see (or act on) it;
otherwise the action stops with "not allowed" (logged), or "no longer valid" if it is gone.


One module per entity (orgs.py, attendance.py, ...); a feature imports from there.
"""
