"""The `intake` command line: parses options, calls the library, prints. The one error boundary."""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import traceback
from datetime import date
from decimal import Decimal, InvalidOperation
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, Callable

import click

from intake.errors import IntakeError
from intake.settings import Settings, load_settings

DOCUMENT_SUFFIXES = {".pdf", ".ofd", ".xml", ".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"}
INTERNAL_ERROR_EXIT = 70


class Boundary(click.Group):
    """Turns library errors into one `Error: ...` line and the error's exit code; a traceback only with -v."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except IntakeError as e:
            if ctx.obj and ctx.obj.get("verbose"):
                traceback.print_exc()
            click.echo(f"Error: {e.message}", err=True)
            ctx.exit(e.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)
        except Exception as e:  # a bug: say so in one line, keep the traceback for -v
            if ctx.obj and ctx.obj.get("verbose"):
                traceback.print_exc()
            click.echo(f"Error: internal error: {e.__class__.__name__}: {e} (run `intake -v ...` for the traceback)", err=True)
            ctx.exit(INTERNAL_ERROR_EXIT)


@click.group(cls=Boundary)
@click.option("-v", "--verbose", is_flag=True, help="Log more and show tracebacks of internal errors.")
@click.version_option(package_name="fapiao-intake")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """fapiao-intake: Chinese VAT invoices (发票) into trustworthy database records.

    Example: intake scan samples/
    """
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def with_settings(func: Callable[..., Any]) -> Callable[..., Any]:
    """Adds --db, --config and --data-dir and passes `settings` (loaded once) to the command."""

    @click.option("--db", "db_url", envvar="INTAKE_DB", metavar="URL",
                  help="Database URL (default: a SQLite file in the data folder). Env: INTAKE_DB.")
    @click.option("--config", "config_file", type=click.Path(path_type=Path), envvar="INTAKE_CONFIG",
                  help="Settings file (TOML). Env: INTAKE_CONFIG.")
    @click.option("--data-dir", type=click.Path(path_type=Path), envvar="INTAKE_DATA_DIR",
                  help="Data folder (database, originals, page images). Env: INTAKE_DATA_DIR.")
    @functools.wraps(func)
    def wrapper(*args: Any, db_url: str | None, config_file: Path | None, data_dir: Path | None, **kwargs: Any) -> Any:
        settings = load_settings(config_file, db_url=db_url, data_dir=data_dir)
        return func(*args, settings=settings, **kwargs)

    return wrapper


def open_db(settings: Settings):  # -> intake.database.Database
    from intake.database import Database

    return Database(settings.database_url)


@main.command()
@with_settings
def init(settings: Settings) -> None:
    """Create or migrate the database to the newest schema.

    Example: intake init --db postgresql+psycopg://postgres@127.0.0.1/test
    """
    db = open_db(settings)
    click.echo(f"Database ready: {db.engine.url.render_as_string(hide_password=True)} ({len(db.tables())} tables)")


@main.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the contract JSON (CONTRACT.md) on standard output.")
@click.option("--keep-temp", type=click.Path(path_type=Path, file_okay=False),
              help="Write every cleanup step's picture into this folder.")
@with_settings
def extract(file: Path, as_json: bool, keep_temp: Path | None, settings: Settings) -> None:
    """Extract one file without touching any database.

    Example: intake extract samples/set/e_normal_01.pdf --json
    """
    from intake.pipeline import extract_file

    if keep_temp is not None:
        keep_temp.mkdir(parents=True, exist_ok=True)
        settings.keep_temp = keep_temp
    result = extract_file(file, settings, display_name=str(file))
    if as_json:
        click.echo(json.dumps(result.to_contract(), ensure_ascii=False, indent=2))
        return
    from intake.report import print_extraction

    print_extraction(result)


def collect_files(paths: tuple[Path, ...], ignore: list[str]) -> tuple[list[Path], list[Path]]:
    """Explicit files are always taken; folders are walked for document types, skipping ignored and hidden names."""
    taken: list[Path] = []
    skipped: list[Path] = []

    def ignored(p: Path) -> bool:
        return p.name.startswith(".") or any(fnmatch(p.name, pat) for pat in ignore)

    for root in paths:
        if root.is_dir():
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if not ignored(Path(d)))
                for name in sorted(filenames):
                    p = Path(dirpath) / name
                    if ignored(p):
                        continue
                    (taken if p.suffix.lower() in DOCUMENT_SUFFIXES else skipped).append(p)
        else:
            taken.append(root)
    return taken, skipped


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--workers", type=int, default=None, help="Worker processes (default: the number of cores).")
@click.option("--batch", default="", help="A label stored with every document of this run.")
@click.option("--keep-temp", type=click.Path(path_type=Path, file_okay=False),
              help="Write every cleanup step's picture into this folder.")
@with_settings
def scan(paths: tuple[Path, ...], workers: int | None, batch: str, keep_temp: Path | None, settings: Settings) -> None:
    """Read files and folders (recursively) into the database, with a progress bar and a summary.

    Example: intake scan samples/ --workers 2
    """
    from intake.report import ScanSummary, print_summary, progress_bar

    if workers is not None:
        settings.workers = workers
    if keep_temp is not None:
        keep_temp.mkdir(parents=True, exist_ok=True)
        settings.keep_temp = keep_temp
    missing = [p for p in paths if not p.exists()]
    files, skipped = collect_files(tuple(p for p in paths if p.exists()), settings.ignore_patterns)
    db = open_db(settings)
    summary = ScanSummary(skipped=skipped)
    for p in missing:
        summary.add_missing(p)
    with progress_bar(len(files)) as advance:
        for outcome in run_files(db, settings, files, batch):
            summary.add(outcome)
            advance(outcome)
    print_summary(summary)


def run_files(db, settings: Settings, files: list[Path], batch: str):  # type: ignore[no-untyped-def]
    """Outcomes one by one, from the worker pool when there is one."""
    try:
        from intake.dispatch import run_batch  # the pool (issue 5)
    except ImportError:
        run_batch = None
    if run_batch is not None and settings.worker_count > 1 and len(files) > 1:
        yield from run_batch(db, settings, files, channel="cli", batch=batch)
        return
    from intake.receive import receive_file

    for f in files:
        yield receive_file(db, settings, f, channel="cli", batch=batch)


@main.command()
@click.argument("invoice_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
@with_settings
def show(invoice_id: int, as_json: bool, settings: Settings) -> None:
    """Show one invoice: every field with its confidence, status and reasons, the items and the file's trail.

    Example: intake show 12
    """
    from intake.query import get_invoice
    from intake.report import invoice_json, print_invoice

    db = open_db(settings)
    with db.session() as s:
        rec = get_invoice(s, invoice_id)
        if as_json:
            click.echo(json.dumps(invoice_json(rec), ensure_ascii=False, indent=2))
        else:
            print_invoice(rec)


def _date_opt(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2024-05-31")


def _money_opt(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        raise click.BadParameter(f"{value!r} is not an amount like 1000.00")


@main.command()
@click.option("--number", help="Invoice number (or a part of it).")
@click.option("--code", help="Invoice code (发票代码).")
@click.option("--from", "date_from", help="Issued on or after (YYYY-MM-DD).")
@click.option("--to", "date_to", help="Issued on or before (YYYY-MM-DD).")
@click.option("--buyer", help="Buyer name (a part of it) or tax id.")
@click.option("--seller", help="Seller name (a part of it) or tax id.")
@click.option("--tax-id", help="Buyer or seller tax id.")
@click.option("--min-amount", help="价税合计 at least.")
@click.option("--max-amount", help="价税合计 at most.")
@click.option("--status", "statuses", multiple=True,
              type=click.Choice(["accepted", "needs_review", "approved", "rejected", "duplicate"]))
@click.option("--limit", type=int, default=200, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
@with_settings
def find(number, code, date_from, date_to, buyer, seller, tax_id, min_amount, max_amount, statuses, limit, as_json,
         settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """Find invoices by number, code, date range, buyer/seller name or tax id, amount range.

    Example: intake find --seller 北京 --from 2024-01-01 --min-amount 100
    """
    from intake.query import Criteria, find_invoices, invoice_values
    from intake.report import print_invoice_list

    c = Criteria(
        number=number, code=code, date_from=_date_opt(date_from), date_to=_date_opt(date_to), buyer=buyer,
        seller=seller, tax_id=tax_id, min_amount=_money_opt(min_amount), max_amount=_money_opt(max_amount),
        statuses=list(statuses), limit=limit,
    )
    db = open_db(settings)
    with db.session() as s:
        found = find_invoices(s, c)
        if as_json:
            for rec in found:
                click.echo(json.dumps({"id": rec.id, "status": rec.status, **invoice_values(rec)}, ensure_ascii=False))
        else:
            print_invoice_list(found)


@main.command()
@click.argument("what")
@with_settings
def status(what: str, settings: Settings) -> None:
    """Where is this invoice? Every event of a file or invoice number, with time and reason, or "never received".

    Example: intake status scans/2024-05/invoice-0031.pdf   (or: intake status 24112000000048542163)
    """
    from intake.query import locate
    from intake.report import print_whereabouts

    db = open_db(settings)
    with db.session() as s:
        w = locate(s, what)
        print_whereabouts(w)
        if not w.received:
            sys.exit(1)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("--status", "statuses", multiple=True,
              type=click.Choice(["accepted", "needs_review", "approved", "rejected", "duplicate"]),
              help="Only invoices in this status (repeatable). Default: every invoice.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write here instead of standard output.")
@with_settings
def export(fmt: str, statuses: tuple[str, ...], output: Path | None, settings: Settings) -> None:
    """Export invoices, one a row (CSV) or a line (JSON lines).

    Example: intake export --format csv --status accepted --status approved -o invoices.csv
    """
    from intake.query import export_rows, write_export

    db = open_db(settings)
    with db.session() as s:
        rows = export_rows(s, list(statuses) or None)
        if output is None:
            n = write_export(rows, fmt, sys.stdout)
        else:
            tmp = output.with_name(output.name + ".part")
            with tmp.open("w", encoding="utf-8", newline="") as f:
                n = write_export(rows, fmt, f)
            tmp.replace(output)
    click.echo(f"Exported {n} invoice(s).", err=True)


@main.command()
@click.argument("dirs", nargs=-1, type=click.Path(path_type=Path, file_okay=False))
@click.option("--poll", type=float, default=None, metavar="SECONDS",
              help="Poll every SECONDS instead of native events (automatic on network filesystems).")
@click.option("--stability", type=float, default=None, metavar="SECONDS",
              help="Take a file once it has been unchanged this long (default 5).")
@click.option("--recursive/--no-recursive", default=None, help="Watch subfolders too (default: yes).")
@click.option("--done", type=click.Path(path_type=Path, file_okay=False), help="Where processed files go (default: done/ beside the folder).")
@click.option("--failed", type=click.Path(path_type=Path, file_okay=False), help="Where failed files go (default: failed/ beside the folder).")
@click.option("--batch", default=None, help="A label stored with every document received here.")
@click.option("--expected-buyer", default=None, help="Buyer tax id or name the invoices should be made out to.")
@click.option("--workers", type=int, default=None, help="Worker processes (default: the number of cores).")
@click.option("--oneshot", is_flag=True, help="Process what is there now, then exit.")
@with_settings
def watch(dirs: tuple[Path, ...], poll: float | None, stability: float | None, recursive: bool | None, done: Path | None,
          failed: Path | None, batch: str | None, expected_buyer: str | None, workers: int | None, oneshot: bool,
          settings: Settings) -> None:
    """Watch folders (or the [[intake.watch]] folders of the settings file) and receive every file dropped there.

    Example: intake watch /srv/scans/inbox --poll 10 --workers 2
    """
    import signal
    import threading

    from intake.watch import Watcher, folders_from_options, overlay_options

    options = dict(poll=poll, stability=stability, recursive=recursive, done=done, failed=failed,
                   batch=batch, expected_buyer=expected_buyer)
    folders = folders_from_options(list(dirs), **options) if dirs else overlay_options(settings.watch, **options)
    watch_log = logging.getLogger("intake.watch")
    if not watch_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S"))
        watch_log.addHandler(handler)
        watch_log.propagate = False
    watch_log.setLevel(logging.DEBUG if logging.getLogger().level == logging.DEBUG else logging.INFO)
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        if stop.is_set():  # a second Ctrl-C: do not wait any longer
            raise KeyboardInterrupt
        watch_log.info("%s: stopping after the files in hand", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    watcher = Watcher(open_db(settings), settings, folders, workers=workers, oneshot=oneshot, stop=stop)
    watcher.run()


@main.command()
@click.option("--hours", type=int, default=24, show_default=True, help="How many hours back the per-hour table goes.")
@with_settings
def stats(hours: int, settings: Settings) -> None:
    """Intake counters: processed, failed, duplicates, waiting, and per hour.

    Example: intake stats --hours 48
    """
    from intake.stats import collect_stats, format_stats

    click.echo(format_stats(collect_stats(open_db(settings), settings, hours=hours)))


@main.command()
@with_settings
def models(settings: Settings) -> None:
    """List the OCR models and verify their weights (sha256) against models/manifest.toml; exit 6 when one is bad.

    Example: intake models
    """
    from intake.errors import OcrEngineError
    from intake.ocr import list_models

    statuses = list_models(settings)
    for s in statuses:
        verdict = "ok" if s.sha256_ok and not s.problem else (s.problem or "sha256 mismatch")
        click.echo(f"{s.name}\t{s.version}\t{s.licence}\tsha256 {verdict}\t{s.path or s.origin}")
    bad = [s.name for s in statuses if not s.sha256_ok or s.problem]
    if bad:
        raise OcrEngineError(f"OCR model(s) not usable: {', '.join(bad)}", reason="ocr_model")


# ---------------------------------------------------------------- review, users, audit, serve (intake.review, intake.users, intake.web)


def _acting(session, username: str | None):  # type: ignore[no-untyped-def]
    """The user a terminal command acts as (--as, else INTAKE_USER, else the login name); their role is checked."""
    from intake.users import Principal, get_user

    name = username or os.environ.get("INTAKE_USER") or os.environ.get("USER") or ""
    try:
        user = get_user(session, name)
    except IntakeError:
        raise click.ClickException(
            f"no intake user {name!r}: pass --as NAME or create one with `intake user add {name or 'NAME'} --role reviewer`"
        ) from None
    return Principal(user.id, user.username, user.role)


def as_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--as", "acting_as", metavar="USER", envvar="INTAKE_USER",
                        help="Act as this intake user (default: your login name). Env: INTAKE_USER.")(func)


def _read_password(confirm: bool = True) -> str:
    """From the terminal (asked twice), or the first line of standard input when it is not a terminal."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=confirm)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@with_settings
def serve(host: str, port: int, settings: Settings) -> None:
    """Run the review web application (pages and the JSON API under /api; OpenAPI at /openapi.json).

    Example: intake serve --host 0.0.0.0 --port 8000
    """
    import uvicorn

    from intake.web import create_app

    app = create_app(settings, open_db(settings))
    click.echo(f"fapiao-intake on http://{host}:{port}/ (API docs /api/docs)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=False)


@main.group()
def user() -> None:
    """Users and roles (clerk, reviewer, admin) and API tokens."""


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["clerk", "reviewer", "admin"]))
@with_settings
def user_add(name: str, role: str, settings: Settings) -> None:
    """Add a user; the password is asked for (or read from standard input).

    Example: echo 's3cret-pass' | intake user add mei --role reviewer
    """
    from intake.users import add_user

    password = _read_password()
    with open_db(settings).session() as s:
        add_user(s, name, password, role)
    click.echo(f"user {name} added as {role}")


@user.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(["clerk", "reviewer", "admin"]))
@with_settings
def user_set_role(name: str, role: str, settings: Settings) -> None:
    """Change a user's role.

    Example: intake user set-role mei admin
    """
    from intake.users import set_role

    with open_db(settings).session() as s:
        set_role(s, name, role)
    click.echo(f"{name} is now {role}")


@user.command("passwd")
@click.argument("name")
@with_settings
def user_passwd(name: str, settings: Settings) -> None:
    """Set a user's password (asked for, or read from standard input); their open sessions end.

    Example: intake user passwd mei
    """
    from intake.users import set_password

    password = _read_password()
    with open_db(settings).session() as s:
        set_password(s, name, password)
    click.echo(f"password of {name} changed")


@user.command("token")
@click.argument("name")
@click.option("--revoke", is_flag=True, help="Revoke all of the user's tokens instead.")
@with_settings
def user_token(name: str, revoke: bool, settings: Settings) -> None:
    """Print a new API token for scripts (`Authorization: Bearer TOKEN`); only its hash is stored.

    Example: intake user token mei
    """
    from intake.users import create_token, revoke_tokens

    with open_db(settings).session() as s:
        if revoke:
            click.echo(f"{revoke_tokens(s, name)} token(s) of {name} revoked", err=True)
            return
        token = create_token(s, name)
    click.echo(token)


@user.command("list")
@with_settings
def user_list(settings: Settings) -> None:
    """List users with their roles.

    Example: intake user list
    """
    from intake.users import list_users

    with open_db(settings).session() as s:
        for u in list_users(s):
            click.echo(f"{u.username}\t{u.role}\t{'active' if u.active else 'disabled'}")


@main.group()
def parties() -> None:
    """Known parties: the name each tax id stands for, checked against names read from scans."""


@parties.command("add")
@click.argument("tax_id")
@click.argument("name")
@click.option("--own", is_flag=True, help="One of our own companies: invoices whose buyer is none of these go to review (buyer_not_ours).")
@with_settings
def parties_add(tax_id: str, name: str, own: bool, settings: Settings) -> None:
    """Add or rename one known party (your own company with --own, a regular supplier).

    Example: intake parties add 91440106MA5ALQ0M3X 广州市汇嘉鑫医疗器械股份有限公司 --own
    """
    from intake.parties import checked, remember

    party = checked(tax_id, name)
    with open_db(settings).session() as s:
        changed = remember(s, party, by="cli", own=True if own else None)
    click.echo(f"{party.tax_id}\t{party.name}{'  (own)' if own else ''}\t{'added or changed' if changed else 'unchanged'}")


@parties.command("import")
@click.argument("csv_file", type=click.Path(path_type=Path, dir_okay=False))
@with_settings
def parties_import(csv_file: Path, settings: Settings) -> None:
    """Import a vendor master exported as CSV (columns 纳税人识别号/税号 or tax_id, and 名称 or name; UTF-8 or GBK).
    Nothing is imported when any row is invalid.

    Example: intake parties import vendors.csv
    """
    from intake.parties import read_csv, remember

    rows = read_csv(csv_file)
    with open_db(settings).session() as s:
        changed = sum(remember(s, p, by="import") for p in rows)
    click.echo(f"{len(rows)} parties read, {changed} added or renamed")


@parties.command("list")
@click.option("--search", default="", help="Only names or tax ids containing this.")
@with_settings
def parties_list(search: str, settings: Settings) -> None:
    """List the known parties with where each name was confirmed.

    Example: intake parties list --search 科技
    """
    from intake.parties import listing

    with open_db(settings).session() as s:
        for p in listing(s, search):
            click.echo(f"{p.tax_id}\t{p.name}\t{'own' if p.own else p.source}\t{p.updated_by}\t{p.updated_at:%Y-%m-%d %H:%M}")


@main.group()
def review() -> None:
    """Work the review queue from the terminal (the same rules as the web screen)."""


@review.command("list")
@click.option("--reason", default="", help="A reason (sum_mismatch), a field (buyer_tax_id) or field:reason.")
@click.option("--type", "invoice_type", default="", help="Invoice type, e.g. vat_special.")
@click.option("--seller", default="", help="Seller name (a part of it) or tax id.")
@click.option("--from", "date_from", help="Issued on or after (YYYY-MM-DD).")
@click.option("--to", "date_to", help="Issued on or before (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
@as_option
@with_settings
def review_list(reason, invoice_type, seller, date_from, date_to, as_json, acting_as, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """Invoices waiting for review, oldest first, with the reasons.

    Example: intake review list --reason checksum_failed
    """
    from intake import review as svc

    filt = svc.QueueFilter(reason=reason, invoice_type=invoice_type, seller=seller,
                           date_from=_date_opt(date_from), date_to=_date_opt(date_to))
    with open_db(settings).session() as s:
        entries = svc.queue(s, _acting(s, acting_as), filt)
    for e in entries:
        if as_json:
            click.echo(json.dumps(e.to_dict(), ensure_ascii=False))
        else:
            held = f"  [held by {e.claimed_by}]" if e.claimed_by else ""
            click.echo(f"#{e.id}\t{e.invoice_type}\t{e.invoice_number or '-'}\t{e.issue_date or '-'}\t"
                       f"{e.amount_with_tax or '-'}\t{e.seller_name or '-'}\t{', '.join(e.reasons)}{held}")
    if not as_json:
        click.echo(f"{len(entries)} waiting", err=True)


@review.command("show")
@click.argument("invoice_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the invoice as the API returns it.")
@as_option
@with_settings
def review_show(invoice_id: int, as_json: bool, acting_as: str | None, settings: Settings) -> None:
    """One invoice's fields, flags first, with version and claim.

    Example: intake review show 12
    """
    from intake import review as svc
    from intake.invoice import FIELDS, ITEM_FIELDS

    with open_db(settings).session() as s:
        d = svc.detail(s, _acting(s, acting_as), invoice_id)
    if as_json:
        click.echo(json.dumps(d, ensure_ascii=False, indent=2))
        return
    task = d.get("task") or {}
    click.echo(f"#{d['id']}  {d['status']}  version {d['version']}  {d['document']['file_name']} p{d['page']}"
               + (f"  claimed by {task['claimed_by']}" if task.get("claimed_by") else ""))
    for name in FIELDS:
        f = d[name]
        flag = "!" if f["status"] != "accepted" else " "
        why = f"   <- {', '.join(f.get('reasons', []))}" if flag == "!" else ""
        click.echo(f" {flag} {name:<16} {f['value']}{why}")
    for i, item in enumerate(d["items"]):
        cells = [item[n]["value"] + ("!" if item[n]["status"] != "accepted" and item[n]["value"] else "") for n in ITEM_FIELDS if n in item]
        click.echo(f"   items.{i}: " + " | ".join(cells))
    if d.get("qr_payload"):
        click.echo(f"   qr: {d['qr_payload']}")


@review.command("fix")
@click.argument("invoice_id", type=int)
@click.argument("field")
@click.argument("value")
@click.option("--version", type=int, default=None, help="The version you looked at (refused if the invoice changed since).")
@click.option("--reason", default="", help="A note for the audit trail.")
@as_option
@with_settings
def review_fix(invoice_id: int, field: str, value: str, version: int | None, reason: str, acting_as: str | None,
               settings: Settings) -> None:
    """Set one field (or items.N.FIELD) and re-run the checks; the same value again confirms the field.

    Example: intake review fix 12 buyer_tax_id 91110108690017781B --version 3
    """
    from intake import review as svc

    with open_db(settings).session() as s:
        who = _acting(s, acting_as)
        current = version if version is not None else svc.load(s, invoice_id).version
        result = svc.edit(s, settings, who, invoice_id, current, {field: value}, reason=reason)
    click.echo(f"#{invoice_id} saved as version {result.version}")
    if not result.validated:
        click.echo("checks not run: validation is unavailable", err=True)
    for slot, reasons in result.problems.items():
        click.echo(f"  still flagged: {slot}: {', '.join(reasons)}")


@review.command("approve")
@click.argument("invoice_id", type=int)
@click.option("--version", type=int, default=None, help="The version you looked at (refused if the invoice changed since).")
@click.option("--reason", default="", help="A note for the audit trail.")
@as_option
@with_settings
def review_approve(invoice_id: int, version: int | None, reason: str, acting_as: str | None, settings: Settings) -> None:
    """Approve: the record becomes final and exportable.

    Example: intake review approve 12
    """
    from intake import review as svc

    with open_db(settings).session() as s:
        svc.approve(s, _acting(s, acting_as), invoice_id, version=version, reason=reason)
    click.echo(f"#{invoice_id} approved")


@review.command("reject")
@click.argument("invoice_id", type=int)
@click.option("--reason", required=True, help="Why (kept with the record).")
@click.option("--version", type=int, default=None, help="The version you looked at (refused if the invoice changed since).")
@as_option
@with_settings
def review_reject(invoice_id: int, reason: str, version: int | None, acting_as: str | None, settings: Settings) -> None:
    """Reject with a reason; the record is kept, marked rejected.

    Example: intake review reject 12 --reason "not our company"
    """
    from intake import review as svc

    with open_db(settings).session() as s:
        svc.reject(s, _acting(s, acting_as), invoice_id, reason, version=version)
    click.echo(f"#{invoice_id} rejected")


@main.command("audit")
@click.argument("invoice_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="One JSON object a line.")
@with_settings
def audit_cmd(invoice_id: int, as_json: bool, settings: Settings) -> None:
    """Every change to an invoice: field, old value, new value, user, time, reason.

    Example: intake audit 12
    """
    from intake.review import load
    from intake.schema import AuditEntry

    with open_db(settings).session() as s:
        load(s, invoice_id)
        from sqlalchemy import select

        rows = list(s.scalars(select(AuditEntry).where(AuditEntry.invoice_id == invoice_id).order_by(AuditEntry.id)))
        for row in rows:
            d = row.to_dict()
            if as_json:
                click.echo(json.dumps(d, ensure_ascii=False))
            else:
                change = f"{row.field}: {row.old!r} -> {row.new!r}" if row.field else f"{row.old} -> {row.new}"
                click.echo(f"{d['at'][:19].replace('T', ' ')}  {row.user:<10} {row.action:<8} {change}"
                           + (f"  ({row.reason})" if row.reason else ""))
    if not rows and not as_json:
        click.echo(f"no changes to invoice #{invoice_id}", err=True)


if __name__ == "__main__":
    main()
