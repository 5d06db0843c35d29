"""One-tap check-in under a meeting's post in the branch's group (issue 18): the tap check-in
of the private chat, answered with a toast; whoever is not on the list is told why (see
handlers/meetings/post.py for the checks a group press gets)."""

from __future__ import annotations

from handlers.checkin import views
from handlers.checkin.leading import refused_checkin
from handlers.checkin.room import tap_in
from handlers.kit.actions import Act
from handlers.meetings.post import posted_meeting, refuse_outsider
from handlers.meetings.post_views import CHECKED_IN, PostCheckin


async def checkin_from_post(act: Act, press: PostCheckin) -> None:
    meeting = await posted_meeting(act, press.meeting)
    result, _line = await tap_in(act, meeting)
    if result.outcome == "refused":
        if result.reason == "not_expected":
            await refuse_outsider(act, meeting)
        raise refused_checkin(act, meeting, result)
    if result.outcome == "present":
        act.toast = act.t(CHECKED_IN)
    else:  # a guest recorded, or checked in already
        act.toast = views.result_text(act.t, act.settings.tzinfo, act.settings.checkin_radius_m,
                                      meeting, result, act.now(), first_line=True)
