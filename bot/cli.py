"""The `branchbot` command: run, sandbox, db upgrade, org import, calendar import/list, backup,
restore, demo-data."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from storage.backup import FilesCopied

logger = logging.getLogger("branchbot")

# The sandbox's emulator is a distribution of its own (emulator/), absent from production installs.
EMULATOR_MISSING = (
    "the local sandbox (what `branchbot run` starts without BRANCHBOT_TOKEN) needs the Telegram "
    "Bot API emulator, which is not installed: install it from a branchbot checkout with "
    "`pip install -e ./emulator` (./scripts/start does it), or set BRANCHBOT_TOKEN to talk to "
    "Telegram"
)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("branchbot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="branchbot",
        description="Telegram bot for party branches in social organizations. "
        "Configuration comes from BRANCHBOT_* environment variables "
        "(or a TOML file named by BRANCHBOT_CONFIG).",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"branchbot {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "run", help="start the bot: webhook mode when BRANCHBOT_WEBHOOK_URL is set, else long"
        " polling (without BRANCHBOT_TOKEN: the local sandbox)"
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
    cal = commands.add_parser("calendar", help="official holiday schedules (working days)")
    cal_commands = cal.add_subparsers(dest="calendar_command", metavar="CALENDAR_COMMAND")
    cal_import = cal_commands.add_parser(
        "import", help="load a year's holidays and make-up working days from a .csv or .xlsx file"
    )
    cal_import.add_argument("file", type=Path)
    cal_import.add_argument("--dry-run", action="store_true", help="check the file, write nothing")
    cal_commands.add_parser("list", help="which years are covered, and by what")
    _ops_parsers(commands)
    return parser


def _ops_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """backup, restore, migrate-sqlite-to-postgres and demo-data (issue 8)."""
    backup = commands.add_parser(
        "backup", help="copy the SQLite database to FILE while the bot runs (PostgreSQL: pg_dump)"
    )
    backup.add_argument("file", type=Path)
    backup.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    restore = commands.add_parser(
        "restore", help="replace the SQLite database with a backup FILE (stop the bot first)"
    )
    restore.add_argument("file", type=Path)
    restore.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    transfer = commands.add_parser(
        "migrate-sqlite-to-postgres",
        help="copy everything from a SQLite database into an empty PostgreSQL database"
        " (stop the bot first)",
    )
    transfer.add_argument(
        "--from", dest="source", metavar="URL",
        help="sqlite+aiosqlite:///FILE (default: BRANCHBOT_DATABASE_URL)",
    )
    transfer.add_argument(
        "--to", dest="target", metavar="URL", required=True, help="postgresql+asyncpg://..."
    )
    demo = commands.add_parser(
        "demo-data", help="fill an empty database with a generated demo province"
    )
    demo.add_argument("--orgs", type=int, default=100, help="party organizations (default 100)")
    demo.add_argument("--members", type=int, default=3000, help="party members (default 3000)")
    demo.add_argument("--years", type=int, default=3, help="years of history (default 3)")
    demo.add_argument("--seed", type=int, default=1, help="the same seed gives the same data")
    demo.add_argument(
        "--force", action="store_true", help="erase everything in the database first"
    )


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


async def _calendar(settings: Settings, args: argparse.Namespace) -> int:
    from bot.application import prepare_database
    from storage import holiday_calendar
    from storage.db import Database

    await prepare_database(settings)
    database = Database(settings.database_url)
    try:
        if args.calendar_command == "import":
            report = await holiday_calendar.import_calendar_file(
                database, args.file, dry_run=args.dry_run
            )
            print(report.format())
            return 0 if report.ok else 1
        this_year = datetime.now(settings.tzinfo).year
        async with database.session() as session:
            lines = await holiday_calendar.coverage(session, this_year - 1, this_year + 1)
        print(holiday_calendar.format_coverage(lines))
        return 0
    finally:
        await database.dispose()


def _backup(settings: Settings, file: Path, force: bool) -> int:
    from storage.backup import BackupError, backup, backup_files, pg_dump_command
    from storage.db import is_sqlite

    if not is_sqlite(settings.database_url):
        files = (f"; and copy the file store: rsync -a {settings.file_directory}/ {file}.files/"
                 if settings.file_store == "directory" else "")
        return _fail(
            "backup copies SQLite only; for PostgreSQL run: "
            + pg_dump_command(settings.database_url, str(file)) + files
        )
    try:
        done = backup(settings.database_url, file, force=force)
    except BackupError as exc:
        return _fail(str(exc))
    print(f"backed up to {done.path} ({done.size:,} bytes, migration {done.revision}, "
          "integrity ok)")
    return _report_files(settings, backup_files, settings.file_directory, file)


def _report_files(settings: Settings, copy: Callable[[Path, Path], FilesCopied | None],
                  *paths: Path) -> int:
    """The directory store's part of a backup or restore (the database store's files are in
    the database); 1 when files are missing or damaged."""
    if settings.file_store != "directory":
        print("files: kept in the database (BRANCHBOT_FILE_STORE=database), included above")
        return 0
    done = copy(*paths)
    if done is None:
        print("files: the backup has no .files folder beside it; the file store is unchanged")
        return 0
    print(f"files: {done.copied:,} copied ({done.bytes:,} bytes), {done.present:,} already in"
          f" {done.folder}")
    for name in done.bad:
        print(f"files: {name} does not match its hash: skipped", file=sys.stderr)
    if done.missing:
        print(f"files: {len(done.missing):,} stored files are missing (first: "
              f"{done.missing[0]}); the fetcher does not download them again", file=sys.stderr)
    return 1 if done.bad or done.missing else 0


def _restore(settings: Settings, file: Path, yes: bool) -> int:
    from storage.backup import (
        BackupError,
        check_file,
        pg_restore_command,
        restore,
        restore_files,
        sqlite_path,
    )
    from storage.db import is_sqlite
    from storage.migrate import upgrade

    if not is_sqlite(settings.database_url):
        return _fail(
            "restore writes SQLite only; for PostgreSQL run: "
            + pg_restore_command(settings.database_url, str(file))
        )
    try:
        checked = check_file(file)
        target = sqlite_path(settings.database_url)
        if not yes:
            try:
                answer = input(
                    f"Replace the database {target} with {file} (migration {checked.revision})?"
                    " Stop the bot first; the current database is kept as a .bak copy. [y/N] "
                )
            except EOFError:
                answer = ""
            if answer.strip().lower() not in ("y", "yes"):
                print("restore cancelled")
                return 1
        checked, kept = restore(settings.database_url, file)
    except BackupError as exc:
        return _fail(str(exc))
    asyncio.run(upgrade(settings.database_url))
    kept_note = f"; the previous database is kept as {kept}" if kept else ""
    print(f"restored {file} (migration {checked.revision}) into {target}, migrations applied"
          + kept_note)
    return _report_files(settings, restore_files, file, settings.file_directory)


async def _migrate_to_postgres(settings: Settings, source: str | None, target: str) -> int:
    from sqlalchemy.exc import DBAPIError

    from storage.to_postgres import TransferError, migrate_sqlite_to_postgres

    try:
        report = await migrate_sqlite_to_postgres(source or settings.database_url, target)
    except TransferError as exc:
        return _fail(str(exc))
    except DBAPIError as exc:  # the main handler would name BRANCHBOT_DATABASE_URL's backend
        return _fail(f"database error during the copy: {exc.orig}")
    print(report.format())
    if settings.file_store == "directory":
        from storage.files import default_file_dir

        folder = settings.file_dir or default_file_dir(source or settings.database_url)
        print(f"files: the directory store stays in {folder.resolve()}; with PostgreSQL set"
              f" BRANCHBOT_FILE_DIR={folder.resolve()} (or move the folder and set that)")
    return 0 if report.ok else 1


async def _demo_data(settings: Settings, args: argparse.Namespace) -> int:
    import time

    from bot.application import prepare_database
    from storage import demo
    from storage.db import Database

    await prepare_database(settings)
    database = Database(settings.database_url)
    try:
        busy = await demo.has_data(database)
        if busy is not None and not args.force:
            return _fail(f"the database is not empty (table {busy}); --force erases it first")
        if busy is not None:
            await demo.erase(database)
        print(f"generating {args.orgs:,} organizations, {args.members:,} members, "
              f"{args.years} years (seed {args.seed}) ...", flush=True)
        started = time.perf_counter()
        counts = await demo.generate(
            database, orgs=args.orgs, members=args.members, years=args.years, seed=args.seed
        )
    except demo.DemoError as exc:
        return _fail(str(exc))
    finally:
        await database.dispose()
    print(f"demo province in {time.perf_counter() - started:.1f} s: {counts.format()}")
    return 0


async def _check_bot_api(settings: Settings) -> str | None:
    """Ask getMe once before starting, so a wrong token or URL is one line, not a traceback."""
    from telegram import Bot
    from telegram.error import InvalidToken, NetworkError

    from bot.application import file_base_url
    from bot.transport import bot_api_request

    assert settings.token is not None
    proxy = settings.proxy_url.get_secret_value() if settings.proxy_url else None
    bot = Bot(  # through the same transport and proxy as the running bot
        settings.token.get_secret_value(),
        base_url=settings.api_base_url,
        base_file_url=file_base_url(settings.api_base_url),
        request=bot_api_request(settings.api_base_url, proxy, 1),
        get_updates_request=bot_api_request(settings.api_base_url, proxy, 1),
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


def _run_webhook(settings: Settings) -> int:
    """Webhook mode: our own web server takes Telegram's POSTs until SIGINT or SIGTERM."""
    from bot.application import build_application, prepare_database, webhook

    problem = asyncio.run(_check_bot_api(settings))
    if problem:
        return _fail(problem)

    async def serve() -> None:
        await prepare_database(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        async with webhook(build_application(settings)):
            await stop.wait()

    asyncio.run(serve())
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
    from bot.logs import configure_logging

    token = settings.token.get_secret_value() if settings.token else ""
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    scrape = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
    configure_logging(settings.log_format, verbose=args.verbose, secrets=(token, secret, scrape))
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
        if command == "calendar":
            if args.calendar_command not in ("import", "list"):
                return _fail("usage: branchbot calendar import FILE.csv|FILE.xlsx [--dry-run]"
                             " | branchbot calendar list")
            if args.calendar_command == "import" and not args.file.is_file():
                return _fail(f"file not found: {args.file}")
            return asyncio.run(_calendar(settings, args))
        if command == "backup":
            return _backup(settings, args.file, args.force)
        if command == "restore":
            return _restore(settings, args.file, args.yes)
        if command == "migrate-sqlite-to-postgres":
            return asyncio.run(_migrate_to_postgres(settings, args.source, args.target))
        if command == "demo-data":
            return asyncio.run(_demo_data(settings, args))
        if command == "sandbox" or settings.token is None:
            try:
                from bot.sandbox.runner import run_sandbox
            except ModuleNotFoundError as exc:
                if exc.name != "botapi_emulator":
                    raise
                return _fail(EMULATOR_MISSING)

            if command == "run":
                print("BRANCHBOT_TOKEN is not set: starting the local sandbox instead.")
            return asyncio.run(
                run_sandbox(
                    settings,
                    open_browser=not getattr(args, "no_browser", False),
                    demo=not getattr(args, "no_demo", False),
                )
            )
        if settings.webhook_url:
            return _run_webhook(settings)
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
