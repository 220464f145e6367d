"""The `wirewatch` command: every stage runnable on one document, and the cycle.

JSON goes to standard output, logs and errors to standard error. Every
`WirewatchError` is caught here, once: `error: <message>` and exit code 1; a
mistyped command, option or argument is one line too, with exit code 2.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from pipeline.config import Settings
from pipeline.errors import ConfigError, InputError, WirewatchError

app = typer.Typer(help="Wirewatch: news feeds in, event records out.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
db_app = typer.Typer(help="The warehouse: migrations and connection.", no_args_is_help=True)
feeds_app = typer.Typer(help="The feeds Wirewatch monitors.", no_args_is_help=True)
airflow_app = typer.Typer(help="Wirewatch in an Airflow 3 deployment: the DAGs and their set-up.",
                          no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(feeds_app, name="feeds")
app.add_typer(airflow_app, name="airflow")
entries_app = typer.Typer(help="The queue of article URLs: what is pending, failed, dead.", no_args_is_help=True)
app.add_typer(entries_app, name="entries")

log = logging.getLogger("pipeline")

Verbose = Annotated[int, typer.Option("--verbose", "-v", count=True, help="More logging (-v info, -vv debug).")]
Json = Annotated[bool, typer.Option("--json", help="One JSON object a line instead of a table.")]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    from pipeline import __version__

    try:
        return version("wirewatch")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return __version__


def _print_version(value: bool) -> None:
    if value:
        print(f"wirewatch {_version()}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Wirewatch: news feeds in, event records out."""


def _setup_logging(verbose: int, default: int = logging.WARNING) -> None:
    level = {0: default, 1: logging.INFO}.get(verbose, logging.DEBUG)
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # pgserver narrates every start and exit of the embedded server at INFO
    logging.getLogger("pgserver").setLevel(max(level, logging.WARNING))


def _settings() -> Settings:
    return Settings.from_env()


def _emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


def _read_input(file: str) -> bytes:
    from pipeline.extract import read_document

    return read_document(file)


def _is_plain_text(file: str, content: bytes) -> bool:
    if file.lower().endswith(".txt"):
        return True
    head = content[:2048].lstrip().lower()
    return not head.startswith((b"<", b"\xef\xbb\xbf<"))


# --- extract / analyze --------------------------------------------------------------------


@app.command()
def extract(
    file: Annotated[str, typer.Argument(help="An HTML page; '-' reads standard input; gzip is recognised.")],
    url: Annotated[Optional[str], typer.Option(help="The page's URL.")] = None,
    verbose: Verbose = 0,
) -> None:
    """Clean an HTML page to its article body and metadata (one JSON object)."""
    _setup_logging(verbose)
    from pipeline.extract import extract_article
    from pipeline.models import as_dict

    settings = _settings()
    article = extract_article(_read_input(file), url, settings=settings)
    _emit(as_dict(article))


@app.command()
def analyze(
    file: Annotated[str, typer.Argument(help="HTML or .txt; with --jsonl, JSON Lines ('-' for stdin).")],
    url: Annotated[Optional[str], typer.Option(help="The page's URL.")] = None,
    published_at: Annotated[Optional[str], typer.Option("--published-at", help="Publication date (ISO 8601) to resolve relative dates against.")] = None,
    jsonl: Annotated[bool, typer.Option("--jsonl", help="Read {id, text, published_at} lines; write one result a line.")] = False,
    verbose: Verbose = 0,
) -> None:
    """Entities and PLOVER events of a document (the contract's extract fields plus both)."""
    _setup_logging(verbose)
    from pipeline.models import as_dict

    settings = _settings()
    if published_at is not None:
        _check_date(published_at)
    from pipeline.nlp import Analyzer

    if jsonl:
        for record, result in _analyze_jsonl(settings, _read_input(file)):
            _emit({"id": record.get("id"), **result})
        return

    content = _read_input(file)
    article = _article_from(file, content, url)
    if settings.model_for(article.language) is None:  # no pipeline for its language: no model run at all
        logging.getLogger(__name__).warning("%s is in %s, which is not analysed (WIREWATCH_LANGUAGES=%s)",
                                            file, article.language, ",".join(settings.languages))
        _emit(_analysis_fields(as_dict(article), None))
        return
    analyzer = Analyzer(settings)
    analysis = analyzer.analyze(article.text, published_at or article.published_at, dateline=article.dateline)
    _emit(_analysis_fields(as_dict(article), analysis))


def _analysis_fields(out: dict, analysis) -> dict:
    """The extract fields plus entities, events, the analyzer, and `not_analysed` (null, or "language")."""
    from pipeline.models import as_dict

    out["entities"] = [as_dict(e) for e in analysis.entities] if analysis else []
    out["events"] = [as_dict(e) for e in analysis.events] if analysis else []
    out["analyzer_version"] = analysis.model_version if analysis else None
    out["not_analysed"] = None if analysis else "language"
    return out


def _article_from(file: str, content: bytes, url: str | None):
    from pipeline.extract import clean_plain_text, extract_article

    if _is_plain_text(file, content):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"{file}: plain text is not UTF-8; convert it or pass HTML") from None
        return clean_plain_text(text, url=url)
    return extract_article(content, url)


def _analyze_jsonl(settings: Settings, content: bytes):
    from pipeline.extract import clean_plain_text
    from pipeline.models import as_dict
    from pipeline.nlp import Analyzer

    records = []
    for number, line in enumerate(content.decode("utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"line {number}: not JSON ({exc.msg})") from None
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise InputError(f"line {number}: expected an object with a string 'text'")
        records.append(record)
    articles = [clean_plain_text(r["text"], url=r.get("url")) for r in records]
    gated = [settings.model_for(a.language) is None for a in articles]
    analyzer = Analyzer(settings) if not all(gated) else None  # no model loaded when none is analysed
    items = ((a.text, r.get("published_at") or a.published_at, a.dateline)
             for a, r, skip in zip(articles, records, gated) if not skip)
    analyses = iter(analyzer.analyze_many(items)) if analyzer is not None else iter(())
    for record, article, skip in zip(records, articles, gated, strict=True):
        result = _analysis_fields(as_dict(article), None if skip else next(analyses))
        result.pop("analyzer_version")  # one per line would repeat the same string
        yield record, result


def _check_date(value: str) -> None:
    from pipeline.dates import read_timestamp

    try:
        read_timestamp(value)
    except InputError:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 date", param_hint="--published-at") from None


# --- the cycle ----------------------------------------------------------------------------


@app.command()
def run(
    feeds: Annotated[Path, typer.Option("--feeds", help="OPML, or one feed URL a line.")],
    force: Annotated[bool, typer.Option(help="Poll every listed feed, due or not.")] = False,
    verbose: Verbose = 0,
) -> None:
    """One monitoring cycle over the feeds in FILE, without Airflow."""
    _setup_logging(verbose, default=logging.INFO)
    from pipeline import store
    from pipeline.feeds.feedlist import read_feed_list
    from pipeline.flows import cycle, runs

    settings = _settings()
    specs = read_feed_list(feeds)
    with store.connect(settings, purpose="export") as conn:
        store.migrate(conn)
    summary = cycle.run_cycle(settings, specs, force=force)
    print(f"run {summary['run_id']}: {runs.format_counts(summary['counts'])}")


# --- db -----------------------------------------------------------------------------------


@db_app.command("migrate")
def db_migrate(verbose: Verbose = 0) -> None:
    """Apply the pending migrations in sql/."""
    _setup_logging(verbose, default=logging.INFO)
    from pipeline import store

    with store.connect(_settings(), purpose="export") as conn:
        applied = store.migrate(conn)
    print(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))


@db_app.command("url")
def db_url() -> None:
    """Print the warehouse's connection URL (starting the embedded server if needed)."""
    from pipeline import store

    print(store.database_url(_settings()))


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL under WIREWATCH_HOME (a configured server is never touched)."""
    from pipeline import store

    settings = _settings()
    if not settings.embedded:
        raise ConfigError("WIREWATCH_DATABASE_URL is set: the warehouse is not the embedded one; nothing stopped")
    pgdata = settings.home / store.PGDATA_DIR
    print(f"embedded PostgreSQL under {pgdata}: " + ("stopped" if store.stop_embedded(pgdata) else "not running"))


# --- feeds --------------------------------------------------------------------------------


@feeds_app.command("add")
def feeds_add(urls: Annotated[list[str], typer.Argument(help="Feed URLs.")]) -> None:
    """Add feeds to monitor."""
    from pipeline.flows import cycle
    from pipeline.models import FeedSpec

    ids = cycle.register_feeds(_settings(), [FeedSpec(url=u) for u in urls])
    print(f"{len(ids)} feed(s) registered")


@feeds_app.command("import")
def feeds_import(file: Annotated[Path, typer.Argument(help="OPML, or one URL a line.")]) -> None:
    """Add every feed listed in an OPML file or a list of URLs."""
    from pipeline.feeds.feedlist import read_feed_list
    from pipeline.flows import cycle

    ids = cycle.register_feeds(_settings(), read_feed_list(file))
    print(f"{len(ids)} feed(s) registered")


@feeds_app.command("list")
def feeds_list(json_lines: Json = False) -> None:
    """The monitored feeds with their health: last status, errors, last new item, items a day, next poll."""
    from rich.console import Console
    from rich.table import Table

    from pipeline import store
    from pipeline.models import as_dict

    with store.connect(_settings()) as conn:
        feeds = store.list_feeds(conn)
        rates = store.feed_rates(conn)
    if json_lines:
        for f in feeds:
            _emit({**as_dict(f), "items_per_day": round(rates.get(f.feed_id, 0.0), 3)})
        return
    table = Table(title=f"{len(feeds)} feed(s)")
    for column in ("id", "url", "enabled", "last status", "errors", "last polled", "last new item", "items/day",
                   "next poll", "interval"):
        table.add_column(column)
    for f in feeds:
        status = str(f.last_status or "-") if not f.last_error else f"{f.last_status or 'error'}: {f.last_error[:60]}"
        table.add_row(str(f.feed_id), f.url, "yes" if f.enabled else f"no: {f.disabled_reason or ''}",
                      status, str(f.consecutive_errors), _when(f.last_polled_at),
                      _when(f.last_new_item_at), f"{rates.get(f.feed_id, 0.0):.1f}", _when(f.next_poll_at),
                      f"{f.poll_interval_s // 60} min")
    Console(width=200).print(table)


def _act_on_feeds(feeds: list[str], done: str, act) -> None:
    """Resolve every feed reference first (one unknown fails them all), act on each, commit once."""
    from pipeline import store

    with store.connect(_settings()) as conn:
        ids = [store.find_feed(conn, ref) for ref in feeds]
        for feed_id in ids:
            act(store, conn, feed_id)
        conn.commit()
    print(f"{len(ids)} feed(s) {done}: " + ", ".join(map(str, ids)))


@feeds_app.command("enable")
def feeds_enable(feeds: Annotated[list[str], typer.Argument(help="Feed ids or URLs (as `feeds list` shows them).")]) -> None:
    """Poll disabled feeds again from the next cycle, their error count cleared."""
    _act_on_feeds(feeds, "enabled", lambda store, conn, feed_id: store.enable_feed(conn, feed_id))


@feeds_app.command("disable")
def feeds_disable(
    feeds: Annotated[list[str], typer.Argument(help="Feed ids or URLs (as `feeds list` shows them).")],
    reason: Annotated[str, typer.Option("--reason", help="Why, shown by `feeds list`.")] = "disabled by hand",
) -> None:
    """Stop polling feeds (kept, with their articles; `feeds enable` resumes them)."""
    _act_on_feeds(feeds, "disabled", lambda store, conn, feed_id: store.disable_feed(conn, feed_id, reason))


@feeds_app.command("remove")
def feeds_remove(feeds: Annotated[list[str], typer.Argument(help="Feed ids or URLs (as `feeds list` shows them).")]) -> None:
    """Forget feeds; their articles and events stay in the warehouse, no longer linked to a feed."""
    _act_on_feeds(feeds, "removed", lambda store, conn, feed_id: store.remove_feed(conn, feed_id))


@entries_app.command("list")
def entries_list(
    state: Annotated[str | None, typer.Option(help="Only entries in this state (pending, claimed, dead, failed, …).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, most recently changed first.")] = 50,
    json_lines: Json = False,
) -> None:
    """Queue entries with their state, attempts, next attempt and last error."""
    from pipeline import store
    from pipeline.models import as_dict

    with store.connect(_settings()) as conn:
        rows = store.list_entries(conn, state, limit)
    if json_lines:
        for e in rows:
            _emit(as_dict(e))
        return
    for e in rows:
        print("\t".join([str(e.entry_id), e.state, str(e.attempts), _when(e.next_attempt_at), e.url,
                         e.last_error or ""]))
    if not rows:
        print(f"no entries in state {state}" if state else "no entries")


@entries_app.command("retry")
def entries_retry(
    ids: Annotated[list[int] | None, typer.Argument(help="Entry ids (as `entries list` shows them).")] = None,
    all_dead: Annotated[bool, typer.Option("--all", help="Every dead letter.")] = False,
) -> None:
    """Requeue dead letters (entries given up after repeated failures), their attempts cleared.

    Given ids, entries that failed for good (a 404, a blocked address) are requeued too.
    """
    from pipeline import store
    from pipeline.errors import ConfigError

    if bool(ids) == all_dead:
        raise ConfigError("give entry ids or --all (not both)")
    with store.connect(_settings()) as conn:
        if all_dead:
            requeued = store.requeue_entries(conn)
        else:
            requeued = store.requeue_entries(conn, ids, states=("dead", "failed"))
        conn.commit()
    print(f"{len(requeued)} entr{'y' if len(requeued) == 1 else 'ies'} requeued" +
          (": " + ", ".join(map(str, sorted(requeued))) if requeued else ""))


@feeds_app.command("discover")
def feeds_discover(
    site_url: Annotated[str, typer.Argument(help="A site's home page (or any page of it).")],
    add: Annotated[bool, typer.Option("--add", help="Also register the feeds found.")] = False,
    probe_all: Annotated[bool, typer.Option("--probe-all", help="Try every common feed path, not only when the page links none.")] = False,
    verbose: Verbose = 0,
) -> None:
    """Find a site's feeds from <link rel="alternate"> and common feed paths; each one checked to parse."""
    _setup_logging(verbose)
    from pipeline.feeds.discover import discover_feeds
    from pipeline.flows import cycle, runs
    from pipeline.models import FeedSpec

    settings = _settings()
    with runs.polite_fetcher(settings) as fetcher:
        found = discover_feeds(fetcher, site_url, probe_all=probe_all)
    for feed in found:
        print(f"{feed.url}\t{feed.entries} entries\t{feed.found_by}\t{feed.title or ''}")
    if not found:
        from pipeline.errors import MalformedFeed

        raise MalformedFeed(f"no feed found on {site_url}; give the feed URL to `wirewatch feeds add`",
                            url=site_url)
    if add:
        ids = cycle.register_feeds(settings, [FeedSpec(url=f.url, title=f.title, site_url=site_url) for f in found])
        print(f"{len(ids)} feed(s) registered")


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


# --- backfill and reprocessing --------------------------------------------------------------


@app.command()
def backfill(
    source: Annotated[str, typer.Argument(help="A WARC file or glob, a sitemap or sitemap index URL, or an "
                                               "archived/paged feed URL; prefix warc:, sitemap: or feed: to say which.")],
    from_day: Annotated[str, typer.Option("--from", help="First day to backfill (YYYY-MM-DD, UTC).")],
    to_day: Annotated[str, typer.Option("--to", help="Last day to backfill, included.")],
    language: Annotated[Optional[list[str]], typer.Option("--language", help="Keep only pages in this ISO 639-1 language (repeatable).")] = None,
    include_undated: Annotated[bool, typer.Option("--include-undated", help="Also take sitemap/feed URLs that carry no date.")] = False,
    force: Annotated[bool, typer.Option(help="Redo days already backfilled.")] = False,
    verbose: Verbose = 0,
) -> None:
    """Load a date range of an archive, day by day, resuming where an earlier run stopped."""
    _setup_logging(verbose)
    from pipeline import store
    from pipeline.cli_console import BackfillBar
    from pipeline.flows import backfill as backfilling

    settings = _settings()
    first, last = _day(from_day, "--from"), _day(to_day, "--to")
    origin = backfilling.parse_source(source)
    days = backfilling.days_between(first, last)
    options = backfilling.BackfillOptions(languages=tuple(code.lower() for code in language or ()),
                                          include_undated=include_undated, force=force)
    with store.connect(settings) as conn:
        store.migrate(conn)
    with BackfillBar(len(days)) as bar:
        summary = backfilling.backfill_range(settings, origin, first, last, options=options, progress=bar.update)
    BackfillBar.summarise(summary, origin.location)
    print(f"backfill run {summary['run_id']}: {backfilling.format_counts(summary['counts'])}")


@app.command()
def reprocess(
    since: Annotated[str, typer.Option("--since", help="Reprocess articles published (or fetched) since this day (YYYY-MM-DD).")],
    stage: Annotated[Optional[str], typer.Option("--stage", help="extract or analyze (default: both, extract first).")] = None,
    verbose: Verbose = 0,
) -> None:
    """Run extraction or analysis again on stored articles made by an older version."""
    _setup_logging(verbose)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from pipeline import store
    from pipeline.flows import reprocess as reprocessing

    settings = _settings()
    stages = (stage,) if stage else reprocessing.STAGES
    with store.connect(settings) as conn:
        store.migrate(conn)
    columns = (TextColumn("reprocessing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task("articles", total=None)
        summary = reprocessing.reprocess(settings, _day(since, "--since"), stages,
                                         progress=lambda done, total, _counts: bar.update(task, completed=done,
                                                                                           total=total))
    counts = summary["counts"]
    keys = ("extracted_changed", "extracted_unchanged", "articles_reanalyzed", "skipped_no_raw_page", "events")
    print(f"reprocess run {summary['run_id']}: " + ", ".join(f"{k}={counts.get(k, 0)}" for k in keys))


def _day(value: str, option: str):
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a day (YYYY-MM-DD)", param_hint=option) from None


# --- websub ------------------------------------------------------------------------------

websub_app = typer.Typer(help="WebSub push: the callback receiver and hub subscriptions.", no_args_is_help=True)
app.add_typer(websub_app, name="websub")


@websub_app.command("serve")
def websub_serve(
    host: Annotated[str, typer.Option(help="Address to listen on (behind a proxy: 127.0.0.1).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8081,
    verbose: Verbose = 0,
) -> None:
    """Serve the WebSub callback: answer hub verifications, store pushes, wake push_ingest."""
    _setup_logging(verbose, default=logging.INFO)
    from pipeline.websub.receiver import serve

    serve(_settings(), host=host, port=port)


@websub_app.command("subscribe")
def websub_subscribe(
    feed_url: Annotated[str, typer.Argument(help="A feed URL; its hub is discovered from rel=hub links.")],
    verbose: Verbose = 0,
) -> None:
    """Add a feed, discover its hub, and ask the hub to push it to WIREWATCH_PUBLIC_BASE_URL."""
    _setup_logging(verbose)
    from pipeline.websub.subscriber import subscribe_feed

    subscription = subscribe_feed(_settings(), feed_url)
    print(f"subscription {subscription.subscription_id}: asked {subscription.hub_url} to push "
          f"{subscription.topic_url}; active once the hub verifies it")


@websub_app.command("unsubscribe")
def websub_unsubscribe(feed_url: Annotated[str, typer.Argument(help="The feed (or topic) URL.")],
                       verbose: Verbose = 0) -> None:
    """Ask the hub to stop pushing a feed."""
    _setup_logging(verbose)
    from pipeline.websub.subscriber import unsubscribe_feed

    print(f"{unsubscribe_feed(_settings(), feed_url)} unsubscribe request(s) sent")


@websub_app.command("renew")
def websub_renew(verbose: Verbose = 0) -> None:
    """Renew leases about to end, subscribe new hub feeds, cancel removed ones (as the DAG does)."""
    _setup_logging(verbose, default=logging.INFO)
    from pipeline.websub.subscriber import maintain_subscriptions

    counts = maintain_subscriptions(_settings())
    print(", ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "nothing to do")


@websub_app.command("list")
def websub_list(json_lines: Json = False) -> None:
    """The push subscriptions with their state and lease."""
    from rich.console import Console
    from rich.table import Table

    from pipeline import store
    from pipeline.models import as_dict

    with store.connect(_settings()) as conn:
        rows = store.list_subscriptions(conn)
    if json_lines:
        for s in rows:
            _emit(as_dict(s))
        return
    table = Table(title=f"{len(rows)} subscription(s)")
    for column in ("id", "feed", "topic", "hub", "state", "lease ends", "last push", "pushes", "refused", "error"):
        table.add_column(column)
    for s in rows:
        table.add_row(str(s.subscription_id), str(s.feed_id or "-"), s.topic_url, s.hub_url, s.state,
                      _when(s.lease_expires_at), _when(s.last_push_at), str(s.pushes_received),
                      str(s.pushes_refused), s.last_error or "")
    Console(width=200).print(table)


# --- airflow ------------------------------------------------------------------------------


@airflow_app.command("dags-path")
def airflow_dags_path() -> None:
    """Print the folder of the Wirewatch DAG files shipped with this install (for dags_folder or a bundle)."""
    from pipeline.airflow_integration import dags_path

    print(dags_path())


@airflow_app.command("setup")
def airflow_setup(
    pool_slots: Annotated[int, typer.Option("--pool-slots", help="Slots of the wirewatch_fetch pool.")] = 4,
    migrate: Annotated[bool, typer.Option("--migrate", help="Apply pending warehouse migrations instead of failing.")] = False,
    verbose: Verbose = 0,
) -> None:
    """Create the wirewatch_fetch pool; check the wirewatch_warehouse Connection and the warehouse's schema."""
    _setup_logging(verbose)
    from pipeline.airflow_integration import setup

    # importing Airflow (for the postgres hook's rules) installs its own stdout logging; the
    # steps' own report is the lines below
    log.setLevel({0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG))

    for line in setup(pool_slots=pool_slots, migrate=migrate):
        print(line)


# --- entry point --------------------------------------------------------------------------

# typer raises the exceptions of the click it runs on: its own vendored copy (typer 0.2x)
# or the click package (older typer). Both are found from typer's public BadParameter.
_CLICK_BASES = {cls.__name__: cls for cls in typer.BadParameter.__mro__}
_ClickException = _CLICK_BASES["ClickException"]
_UsageError = _CLICK_BASES["UsageError"]


def _usage_line(exc: Exception) -> str:
    """A usage error as one line: the command it is about, the complaint, where help is."""
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "wirewatch"
    message = " ".join(exc.format_message().split())
    return f"usage error: {command}: {message} (see `{command} --help`)\n"


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: one line on stderr for every expected failure."""
    try:
        result = app(args=argv, prog_name="wirewatch", standalone_mode=False)
    except WirewatchError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    except _UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # `wirewatch` alone, or a group alone: the help
            exc.show()
            return exc.exit_code
        sys.stderr.write(_usage_line(exc))
        return 2
    except _ClickException as exc:
        sys.stderr.write(f"error: {' '.join(exc.format_message().split())}\n")
        return exc.exit_code
    except typer.Exit as exc:  # click's Exit under older typer, typer's own with a vendored click
        return exc.exit_code
    except typer.Abort:
        sys.stderr.write("aborted\n")
        return 130
    except BrokenPipeError:
        return 0
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
