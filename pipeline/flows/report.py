"""What a run did, read back from the warehouse, as the text `make run` prints.

Everything here is read from the warehouse, not from the run's memory, so the report
shows what was really loaded: counts from the run's row, events and examples from
the articles the run loaded.
"""

from __future__ import annotations

from pipeline import store
from pipeline.store import RunRow


def run_report(conn: store.Connection, run_id: int, *, examples: int = 3) -> str:
    """A few lines: feeds polled, articles new and duplicate, entities, events by type, examples."""
    run = store.get_run(conn, run_id)
    if run is None:
        return f"run {run_id}: no such run"
    c = run.counts
    lines = [
        f"run {run.run_id} ({run.kind}, {run.status}) in {_duration(run)}",
        f"feeds:    {c.get('feeds_polled', 0)} polled, {c.get('feeds_unchanged', 0)} unchanged, "
        f"{c.get('feeds_failed', 0)} failed; {c.get('entries_new', 0)} new entries",
        f"articles: {c.get('articles_new', 0)} new, {c.get('articles_duplicate', 0)} duplicate, "
        f"{c.get('pages_skipped', 0)} skipped, {c.get('pages_failed', 0)} failed"
        + (f"; {c['not_analysed_language']} not analysed (language)" if c.get("not_analysed_language") else ""),
        f"entities: {c.get('entities', 0)}",
    ]
    by_type = store.run_event_counts(conn, run_id)
    rows = store.run_event_examples(conn, run_id)
    total = sum(r.n for r in by_type)
    lines.append(f"events:   {total}" + (": " + ", ".join(f"{r.type} {r.n}" for r in by_type) if by_type else ""))
    for error in (run.errors or [])[:5]:
        lines.append(f"skipped:  {error.get('url')} ({error.get('stage')}): {error.get('error')}")
    if not c.get("articles_new"):
        lines.append("nothing new: every article in these feeds is already in the warehouse")
    rows.sort(key=lambda r: (r.actor1_canonical is None, r.actor2_canonical is None,
                             r.place is None, -(r.confidence or 0)))
    if rows[:examples]:
        lines.append("examples:")
    for r in rows[:examples]:
        who = f"{r.actor1_canonical or '?'} -> {r.actor2_canonical or '?'}"
        where = f" in {r.place}" + (f" ({r.country})" if r.country else "") if r.place else ""
        killed = f", {r.fatalities} killed" if r.fatalities else ""
        mode = f" ({r.mode})" if r.mode else ""
        lines.append(f"  {r.type}{mode}: {who}{where}, {r.event_date or 'date unknown'}{killed}")
        lines.append(f"    \"{_clip(r.sentence, 160)}\"")
    return "\n".join(lines)


def _duration(run: RunRow) -> str:
    if run.finished_at is None:
        return "(unfinished)"
    return f"{(run.finished_at - run.started_at).total_seconds():.1f} s"


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
