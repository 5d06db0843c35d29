"""The `branchbot` command: run, sandbox, db upgrade, org import."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import datetime
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings

logger = logging.getLogger("branchbot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="branchbot",
        description="Telegram bot for party branches in social organizations. "
        "Configuration comes from BRANCHBOT_* environment variables "
        "(or a TOML file named by BRANCHBOT_CONFIG).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "run", help="start long polling (without BRANCHBOT_TOKEN: the local sandbox)"
    )
    sandbox = commands.add_parser(
        "sandbox", help="the bot against a local Telegram emulator with a chat page"
    )
    sandbox.add_argument("--no-browser", action="store_true", help="do not open a browser")
    sandbox.add_argument("--no-demo", action="store_true", help="do not add a demo branch")
    db = commands.add_parser("db", help="database commands")
    db_commands = db.add_subparsers(dest="db_command", metavar="DB_COMMAND")
    db_commands.add_parser("upgrade", help="apply all migrations")
    org = commands.add_parser("org", help="organization tree commands")
    org_commands = org.add_subparsers(dest="org_command", metavar="ORG_COMMAND")
    org_import = org_commands.add_parser(
        "import", help="create organizations, groups and leaders from a .csv or .xlsx file"
    )
    org_import.add_argument("file", type=Path)
    org_import.add_argument(
        "--dry-run", action="store_true", help="check the file, write nothing"
    )
    return parser


def _fail(message: str) -> int:
    print(f"branchbot: {message}", file=sys.stderr)
    return 2


async def _db_upgrade(settings: Settings) -> int:
    from bot.application import prepare_database

    await prepare_database(settings)
    print("database is up to date")
    return 0


async def _org_import(settings: Settings, path: Path, dry_run: bool) -> int:
    from bot.application import prepare_database
    from storage.db import Database
    from storage.org_import import import_org_file

    await prepare_database(settings)
    database = Database(settings.database_url)
    try:
        today = datetime.now(settings.tzinfo).date()
        report = await import_org_file(database, path, dry_run=dry_run, today=today)
    finally:
        await database.dispose()
    print(report.format())
    return 0 if report.ok else 1


async def _check_bot_api(settings: Settings) -> str | None:
    """Ask getMe once before starting, so a wrong token or URL is one line, not a traceback."""
    from telegram import Bot
    from telegram.error import InvalidToken, NetworkError

    from bot.application import file_base_url

    assert settings.token is not None
    bot = Bot(
        settings.token.get_secret_value(),
        base_url=settings.api_base_url,
        base_file_url=file_base_url(settings.api_base_url),
    )
    try:
        async with bot:
            return None
    except InvalidToken:
        return "BRANCHBOT_TOKEN: Telegram refused this token"
    except NetworkError as exc:
        return f"cannot reach the Bot API at {settings.api_base_url}: {exc}"


def _run_polling(settings: Settings) -> int:
    from telegram import Update

    from bot.application import build_application, prepare_database

    problem = asyncio.run(_check_bot_api(settings))
    if problem:
        return _fail(problem)
    asyncio.run(prepare_database(settings))
    application = build_application(settings)
    application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; errors end in one line, not a traceback."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request with the URL, and the URL holds the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    command = args.command or "run"
    try:
        settings = load_settings()
    except ConfigError as exc:
        return _fail(str(exc))
    try:
        if command == "db":
            if args.db_command != "upgrade":
                return _fail("usage: branchbot db upgrade")
            return asyncio.run(_db_upgrade(settings))
        if command == "org":
            if args.org_command != "import":
                return _fail("usage: branchbot org import FILE.csv|FILE.xlsx [--dry-run]")
            if not args.file.is_file():
                return _fail(f"file not found: {args.file}")
            return asyncio.run(_org_import(settings, args.file, args.dry_run))
        if command == "sandbox" or settings.token is None:
            from bot.sandbox.runner import run_sandbox

            if command == "run":
                print("BRANCHBOT_TOKEN is not set: starting the local sandbox instead.")
            return asyncio.run(
                run_sandbox(
                    settings,
                    open_browser=not getattr(args, "no_browser", False),
                    demo=not getattr(args, "no_demo", False),
                )
            )
        return _run_polling(settings)
    except KeyboardInterrupt:
        return 130
    except OSError as exc:  # e.g. the database file's folder is missing, a port is taken
        return _fail(str(exc))
    except Exception as exc:  # the last line of defence: one line, details in the log
        from sqlalchemy.exc import DBAPIError, OperationalError

        if isinstance(exc, OperationalError | DBAPIError):
            return _fail(f"database error ({settings.database_url.split('://')[0]}): {exc.orig}")
        logger.debug("unexpected error", exc_info=exc)
        return _fail(f"{type(exc).__name__}: {exc}")


if __name__ == "__main__":
    sys.exit(main())
