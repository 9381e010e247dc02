"""``claimscope vocab KIND``: the values the filters accept, in every output format."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from claimscope.analysis.vocab import KINDS, Vocabulary, vocabulary
from claimscope.cli.app import StoreOption, app, console, run_safely, store_root
from claimscope.cli.commands import FormatOption, check_format
from claimscope.cli.output import csv_text, markdown_heading
from claimscope.cli.render import to_json
from claimscope.insight.describe import Description


def _description(vocab: Vocabulary) -> Description:
    facts = [("Parameter", f"--{vocab.parameter.replace('_', '-')}"), ("Source", vocab.source)]
    facts.append(("Values", f"{len(vocab.rows):,}"))
    return Description(vocab.title, facts)


def vocab_table(vocab: Vocabulary) -> Table:
    description = _description(vocab)
    table = Table(
        title=vocab.title,
        title_justify="left",
        caption="\n".join(description.lines()),
        caption_justify="left",
    )
    for column in vocab.columns:
        table.add_column(column)
    for row in vocab.rows:
        table.add_row(*row)
    return table


def vocab_markdown(vocab: Vocabulary) -> str:
    lines = [
        markdown_heading(_description(vocab)),
        "| " + " | ".join(vocab.columns) + " |",
        "|" + "---|" * len(vocab.columns),
        *("| " + " | ".join(v.replace("|", "\\|") for v in row) + " |" for row in vocab.rows),
        "",
        *(f"- {line}" for line in _description(vocab).lines()),
    ]
    return "\n".join(lines)


@app.command()
def vocab(
    kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}.", metavar="KIND")],
    code_set: Annotated[
        str | None,
        typer.Argument(
            help="For `codes`: the code set or spec to list (e.g. pmr).", metavar="[SET]"
        ),
    ] = None,
    fmt: FormatOption = "table",
    store: StoreOption = None,
) -> None:
    """List the values filters accept: code sets, codes of a set, specialties, payers, ..."""
    check_format(fmt)
    folders = (store_root(store), Path.cwd())
    listing = run_safely(lambda: vocabulary(kind, code_set, folders=folders))
    if fmt == "json":
        console.out(to_json(listing.to_dict()), highlight=False)
    elif fmt == "csv":
        console.out(csv_text(_description(listing), listing.columns, listing.rows), end="")
    elif fmt == "markdown":
        console.out(vocab_markdown(listing), highlight=False)
    else:
        console.print(vocab_table(listing))
