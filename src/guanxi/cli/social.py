"""`guanxi social`: the sentiment evaluation, a connector poll and crisis detection from the command line."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer
from rich.console import Console

from guanxi.cli import app, context

out = Console()
social_app = typer.Typer(help="Social listening: sentiment evaluation, connectors, crisis detection.",
                         no_args_is_help=True)
app.add_typer(social_app, name="social")


@social_app.command("evaluate")
def evaluate(path: Path = typer.Argument(..., exists=True, dir_okay=False,
                                         help="a JSON-lines file of {text, lang, label}")) -> None:
    """Accuracy and macro-F1 of our scorer and of the plain libraries on a labelled set (one JSON line)."""
    from guanxi.social import evaluation, sentiment

    rows = evaluation.load(path)
    ours = evaluation.evaluate(rows, sentiment.score)
    base = evaluation.evaluate(rows, sentiment.baseline)
    typer.echo(json.dumps({"ours": {k: v.as_dict() for k, v in ours.items()},
                          "baseline": {k: v.as_dict() for k, v in base.items()}}, ensure_ascii=False))


@social_app.command("score")
def score(text: str) -> None:
    """Sentiment, label and aspects of one text."""
    from guanxi.social import aspects

    seen = aspects.analyse(text)
    typer.echo(json.dumps({"score": seen.sentiment.score, "label": seen.sentiment.label, "lang": seen.sentiment.lang,
                          "override": seen.sentiment.override, "aspects": seen.aspects, "keywords": seen.keywords},
                         ensure_ascii=False))


@social_app.command("poll")
def poll(platform: str) -> None:
    """Poll one configured platform now (GUANXI_SOCIAL_CONNECTORS)."""
    from guanxi.errors import ConfigError
    from guanxi.social import connectors, crisis_store
    from guanxi.social.settings import get_social_settings

    social = get_social_settings()
    if platform not in social.connectors:
        raise ConfigError(f"no connector configured for {platform!r} (GUANXI_SOCIAL_CONNECTORS)")
    rt = context.runtime()
    try:
        res = connectors.poll(rt.factory, rt.cipher, platform, social.connectors[platform],
                              on_new=lambda s, done: crisis_store.complaint_tickets(s, done.created))
        out.print(f"{platform}: fetched {res.fetched}, new {res.created}, cursor {res.cursor}")
    finally:
        rt.dispose()


@social_app.command("detect")
def detect(hour: str = typer.Option(None, help="an ISO time inside the hour to check (default: the last full hour)")) -> None:
    """Run crisis detection for one hour now (the worker does it every hour)."""
    from guanxi.db import utcnow
    from guanxi.social.crisis import floor_hour
    from guanxi.social.jobs import detect_for_hour
    from guanxi.social.settings import get_social_settings

    at = dt.datetime.fromisoformat(hour) if hour else floor_hour(utcnow()) - dt.timedelta(hours=1)
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    rt = context.runtime()
    try:
        typer.echo(json.dumps(detect_for_hour(rt.factory, rt.settings, get_social_settings(), at, utcnow()),
                             ensure_ascii=False))
    finally:
        rt.dispose()
