"""`llmzoo query "SQL"`: read-only SQL over the catalogue."""

from __future__ import annotations

import click

from cli.options import open_engine, output_options
from cli.output import echo_result, render


@click.command("query")
@click.argument("sql", required=False)
@click.option("-p", "--param", "params", nargs=2, multiple=True, metavar="NAME VALUE",
              help="Value of :NAME in the SQL (repeatable); numbers are bound as numbers.")
@click.option("--schema", is_flag=True, help="Describe the tables and columns instead of running SQL.")
@output_options()
@click.pass_context
def query(ctx: click.Context, sql: str | None, params: tuple[tuple[str, str], ...], schema: bool, fmt: str) -> None:
    """Run one read-only SQL statement (SELECT / WITH) over the catalogue's tables.

    The connection cannot write: DELETE, DROP, ATTACH, writable PRAGMAs and the like are refused and
    change nothing. `llmzoo query --schema` lists the tables and columns.

    \b
    Examples:
      llmzoo query "select count(*) as n from models"
      llmzoo query "select id, params from models where org_id = :org order by params desc" -p org meta
      llmzoo query "select dataset_id, count(*) as models from model_datasets group by 1 order by 2 desc" --format csv
    """
    from catalog.query.sql import run_query, schema_doc

    if schema:
        click.echo(schema_doc())
        return
    if sql is None:
        raise click.UsageError("give the SQL to run (or --schema to see the tables)")
    columns, rows = run_query(open_engine(ctx), sql, dict(params))
    if fmt in ("table", "markdown"):  # 7e9 stored as a float reads 7000000000, not 7000000000.0
        rows = [{c: int(v) if isinstance(v, float) and v.is_integer() and abs(v) < 1e16 else v
                 for c, v in row.items()} for row in rows]
    echo_result(render(rows, columns, fmt), fmt)
