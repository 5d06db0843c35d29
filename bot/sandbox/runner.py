"""`branchbot sandbox`: the real bot against the local emulator, with a chat page to play people."""

from __future__ import annotations

import asyncio
import logging
import signal
import webbrowser
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from botapi_emulator import BotApiEmulator
from pydantic import SecretStr

from bot.application import BranchApplication, build_application, polling, prepare_database
from bot.config import Settings
from rules.vocabulary import MemberRole, MemberStatus, PartyOrgKind
from storage import invites, orgs, people
from storage.db import Database
from storage.models import Person, utcnow

logger = logging.getLogger(__name__)

SANDBOX_ADMIN = 10_001
SANDBOX_SECRETARY = 20_001
SANDBOX_FORMS = "https://forms.sandbox.invalid"  # the forms' made-up https address
SANDBOX_MEMBERS = ((30_001, "王丽"), (30_002, "李强"), (30_003, "Emma Chen"))
DEMO_COMMITTEE = "示范区社会组织综合党委"
DEMO_BRANCH = "阳光社工服务中心党支部"


async def seed_demo(database: Database, admin_id: int) -> str | None:
    """On an empty database: a committee, one branch with a secretary, and an invite code."""
    async with database.session() as session:
        if await orgs.member_orgs(session):
            return None  # somebody's own data: leave it alone
        committee = await orgs.create_party_org(
            session, name=DEMO_COMMITTEE, kind=PartyOrgKind.COMMITTEE, parent_id=None,
            actor_telegram_id=admin_id,
        )
        branch = await orgs.create_party_org(
            session, name=DEMO_BRANCH, kind=PartyOrgKind.BRANCH, parent_id=committee.id,
            actor_telegram_id=admin_id,
        )
        secretary = await people.appoint_by_telegram_id(
            session, branch, SANDBOX_SECRETARY, MemberRole.SECRETARY,
            status=MemberStatus.FULL, actor_telegram_id=admin_id, language="zh",
        )
        secretary_person = await session.get(Person, secretary.person_id)
        if secretary_person is not None:
            secretary_person.real_name = "赵书记"
        invite = await invites.create_invite(
            session, org_id=branch.id, created_by=admin_id, valid_days=365, now=utcnow()
        )
        return invite.code


@dataclass
class Sandbox:
    emulator: BotApiEmulator
    application: BranchApplication
    settings: Settings
    invite_code: str | None


@asynccontextmanager
async def sandbox(settings: Settings, *, demo: bool = True) -> AsyncIterator[Sandbox]:
    """The emulator with its chat page, personas, optional demo data, and the bot polling it."""
    admin_id = min(settings.admins) if settings.admins else SANDBOX_ADMIN
    emulator = BotApiEmulator(global_rate_per_second=30.0)
    await emulator.start(host=settings.sandbox_host, port=settings.sandbox_port)
    try:
        sandbox_settings = settings.model_copy(
            update={
                "token": SecretStr(emulator.token),
                "api_base_url": emulator.base_url,
                "admins": settings.admins | {admin_id},
                # Telegram opens Mini Apps over https only: a made-up address the chat page
                # maps to the bot's own web server.
                "mini_app_url": settings.mini_app_url or SANDBOX_FORMS,
            }
        )

        await prepare_database(sandbox_settings)
        emulator.add_user(admin_id, "管理员 Admin", language_code="zh-hans")
        emulator.add_user(SANDBOX_SECRETARY, "赵书记 Secretary", language_code="zh-hans")
        for user_id, name in SANDBOX_MEMBERS:
            emulator.add_user(user_id, name, language_code="en" if name.isascii() else "zh-hans")
        code = None
        if demo:
            database = Database(sandbox_settings.database_url)
            try:
                code = await seed_demo(database, admin_id)
            finally:
                await database.dispose()
        application = build_application(sandbox_settings)
        async with polling(application):
            if application.web is not None:  # the port is known once it listens
                emulator.web_app_origins[SANDBOX_FORMS] = application.web.url
            yield Sandbox(emulator, application, sandbox_settings, code)
    finally:
        await emulator.stop()


async def run_sandbox(settings: Settings, *, open_browser: bool = True, demo: bool = True) -> int:
    """Run the sandbox until Ctrl+C."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with sandbox(settings, demo=demo) as running:
        url = running.emulator.page_url
        print(f"branchbot sandbox: open {url} in your browser")
        print(f"  database: {running.settings.database_url}")
        if running.invite_code:
            print(
                "  demo invite link: "
                f"https://t.me/{running.application.bot.username}?start={running.invite_code}"
            )
        print("  press Ctrl+C to stop")
        if open_browser:
            try:
                webbrowser.open(url)
            except webbrowser.Error:
                pass
        await stop.wait()
    return 0
