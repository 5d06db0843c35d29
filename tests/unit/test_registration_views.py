"""Registration and profile views as pure functions."""

from __future__ import annotations

from datetime import date

from handlers.kit.buttons import MembershipId
from handlers.kit.i18n import translator
from handlers.profile import views as profile
from handlers.registration import approval_keyboard, views
from rules.vocabulary import MembershipState, MemberStatus
from storage.models import Membership, PartyOrganization, Person

t = translator("en")


def test_decision_buttons_keep_their_data_on_the_wire() -> None:
    markup = approval_keyboard(t, 12)
    assert [b.callback_data for row in markup.inline_keyboard for b in row] == [
        "apv:y:12", "apv:n:12"]
    form = views.RejectionForm(membership=MembershipId(12), name="Li")
    assert [b.callback_data for row in views.reason_buttons(t, form) for b in row] == [
        "apv:n0:12", "apv:back:12"]
    assert views.ChooseLanguage("zh").pack() == "reg:lang:zh"
    assert profile.SetLanguage("en").pack() == "lang:en"


def test_the_summary_and_the_applicants_answer() -> None:
    form = views.JoinForm(name="Li Na", org_name="Branch A", status=MemberStatus.FULL,
                          joined=date(2015, 7, 1))
    text = views.summary(t, form)
    assert text.startswith(t("Please check your registration:"))
    assert t("Phone: {phone}", phone=t("not given")) in text
    assert not views.summary(t, form, heading=False).startswith(t("Please check"))
    membership = Membership(state=MembershipState.REJECTED, reject_reason="<not ours>")
    membership.person = Person(telegram_id=1, real_name="Li Na", language="en")
    membership.party_organization = PartyOrganization(name="Branch A")
    told = views.decision_for_member(t, membership, approved=False)
    assert "not approved" in told and "&lt;not ours&gt;" in told
    assert views.decided_text(t, membership) == t("❌ {name} was rejected.", name="Li Na")
