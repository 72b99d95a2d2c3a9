"""The models a chart draws, selected in the database: charts of a million models in seconds.

`chart_from_db(engine, name, filters, **options)` returns the chart `catalog.charts.draw.chart_<name>`
draws from `models_frame(engine, filters, columns=CHART_COLUMNS)`, the same chart. Up to `LARGE`
selected models it is built exactly that way. Above, reading every model's row, statuses and
lineage into pandas costs ~20 s and 1.5 GB per million models, so instead the counts the subtitles
need come from SQL, the models to draw are picked by the same rules as in `catalog.charts.draw` (in SQL,
or in pandas on the two or three columns a rule reads), and only those few thousand models are
read in full. Thinning rules and their ties follow `catalog.charts.draw` exactly (the tests compare
both ways on the same catalogue).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, String, and_, case, cast, exists, extract, func, literal, or_, select

from catalog.charts import draw as charts
from catalog.query.models import Filters, models_frame, order_by, select_models
from catalog.rules.computed import counted_params_sql, uses_active_sql
from catalog.store.db import reading
from catalog.store.schema import Lineage, Model, Organization
from catalog.vocab import ARCHITECTURES

if TYPE_CHECKING:
    import pandas as pd

#: Above this many selected models the charts select in SQL; up to it, in pandas on the whole frame.
LARGE = 20_000


def chart_from_db(engine: Engine, name: str, filters: Filters | None = None, large: int = LARGE,
                  **options: Any) -> Any:
    """The chart `name` (one of `catalog.charts.draw.CHARTS`) of the models matching `filters`.

    `options` are those of `catalog.charts.draw.chart_<name>` (title, width, height, group_by, share,
    max_points, ...). Selections of more than `large` models are thinned in SQL (see the module).
    """
    filters = filters or Filters()
    with reading(engine) as conn:
        total = conn.execute(models_matching(filters, func.count())).scalar_one()
        if total > large and total:  # no models: the frame path says so
            return _LARGE_CHARTS[name](conn, filters, total, **options)
    frame = models_frame(engine, filters, columns=charts.CHART_COLUMNS)
    return getattr(charts, f"chart_{name}")(frame, **options)


def models_matching(filters: Filters, *columns: Any) -> Any:
    """SELECT `columns` FROM the models matching `filters` (with the joins the filters need)."""
    return select_models(["id"], filters).with_only_columns(*columns, maintain_column_froms=False)


def _full_rows(conn: Connection, ids: Sequence[str]) -> pd.DataFrame:
    """The chart columns of these models (statuses, lineage), in release order then id."""
    return models_frame(conn, Filters(ids=list(ids)), columns=charts.CHART_COLUMNS)


def _raw_rows(conn: Connection, stmt: Any) -> Any:
    """The driver's cursor of `stmt`: rows as plain tuples of the driver's values (dates as text,
    booleans as 0/1 on SQLite), without SQLAlchemy's per-row processing (~2 µs a row)."""
    return conn.execute(stmt).cursor


def _records(conn: Connection, stmt: Any, columns: Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame.from_records(_raw_rows(conn, stmt).fetchall(), columns=list(columns))


def _dates(text: pd.Series, precision: pd.Series) -> pd.Series:
    """Release dates as models_frame gives them: the first day of their period ('2023-02' -> Feb 1)."""
    import numpy as np
    import pandas as pd

    days = text.to_numpy(dtype="datetime64[D]")
    days = np.where(precision.eq("year").to_numpy(), days.astype("datetime64[Y]").astype("datetime64[D]"), days)
    days = np.where(precision.eq("month").to_numpy(), days.astype("datetime64[M]").astype("datetime64[D]"), days)
    return pd.Series(days.astype("datetime64[ns]"), index=text.index)


DATED = Model.released.is_not(None)
# MoE models are placed by their active parameters where known (catalog.rules.computed.counted_params)
USES_ACTIVE = uses_active_sql(Model.moe, Model.active_params)
PLOTTED = counted_params_sql(Model.moe, Model.params, Model.active_params)
LATER_STAGE = exists().where(Lineage.child_id == Model.id, Lineage.relation.in_(charts.STAGE_RELATIONS))
# catalog.charts.draw.pretraining_tokens: a later stage counts its inherited pre-training, never its own stage
PRETRAINING_TOKENS = case((LATER_STAGE, case((Model.pretrain_tokens > 0, Model.pretrain_tokens))),
                          else_=Model.train_tokens)


# --- Timeline ----------------------------------------------------------------------------------


def _timeline(conn: Connection, filters: Filters, total: int, group_by: str = "org", title: str | None = None,
              width: int | None = None, height: int | None = None, max_points: int = charts.MAX_POINTS,
              max_groups: int = charts.MAX_GROUPS, max_labels: int = charts.MAX_LABELS) -> Any:
    charts.check_grouping(group_by)
    group = Organization.name if group_by == "org" else func.coalesce(Model.family_id, "(no family)")
    counts = _group_counts(conn, filters, group, max_groups - 1)
    dated = int(counts.sum())
    charts.check_dated(total, dated, "timeline")
    merged = charts.small_groups(counts, max_groups)
    other = charts.other_name(merged, group_by)
    row = case((group.in_([str(g) for g in counts.index[:max_groups - 1]]), group), else_=literal(other)) \
        if merged else group
    if dated > max_points:  # the largest per row and year first, round by round (_thin_by_group_year)
        size = func.coalesce(Model.params, 0.0)
        rounds = models_matching(filters, Model.id.label("i"), Model.released.label("r"), size.label("p"),
                         func.row_number().over(partition_by=(row, extract("year", Model.released)),
                                                order_by=(size.desc(), Model.released, Model.id)).label("k"),
                         ).where(DATED).subquery()
        ids = conn.scalars(select(rounds.c.i).order_by(rounds.c.k, rounds.c.p.desc(), rounds.c.r, rounds.c.i)
                           .limit(max_points)).all()
    else:
        ids = conn.scalars(models_matching(filters, Model.id).where(DATED)).all()
    data = _full_rows(conn, ids)
    data["group"] = charts.group_names(data, group_by)
    if merged:
        data["group"] = data["group"].where(~data["group"].isin(merged), other)
    return charts.draw_timeline(data, group_by, total, dated, len(merged), title, width, height, max_labels)


def _group_counts(conn: Connection, filters: Filters, group: Any, kept: int) -> pd.Series:
    """Dated models per group, most first, ties in order of each group's first model (release date,
    then id): the order of `value_counts` on the frame (catalog.charts.draw.small_groups). Only the
    order across the `kept`-th place decides anything (which groups share the "Other" row), so only
    a tie there is settled by the first models' ids."""
    import pandas as pd

    rows = list(conn.execute(models_matching(filters, group, func.count(), func.min(Model.released)).where(DATED)
                             .group_by(group)))
    rows.sort(key=lambda row: (-row[1], row[2]))
    if 0 < kept < len(rows) and rows[kept - 1][1:] == rows[kept][1:]:
        n, first = rows[kept][1:]
        tied = [g for g, *key in rows if key == [n, first]]
        first_ids = dict(conn.execute(models_matching(filters, group, func.min(Model.id))
                                      .where(Model.released == first, group.in_(tied)).group_by(group)).all())
        rank = {g: first_ids[g] for g in tied}
        start = next(i for i, row in enumerate(rows) if row[0] in rank)
        rows[start:start + len(tied)] = sorted(rows[start:start + len(tied)], key=lambda row: rank[row[0]])
    return pd.Series([n for _, n, _ in rows], index=[g for g, _, _ in rows], dtype="int64")


# --- Compute frontier --------------------------------------------------------------------------


def _compute(conn: Connection, filters: Filters, total: int, title: str | None = None, width: int | None = None,
             height: int | None = None, max_points: int = charts.MAX_POINTS, max_labels: int = 40) -> Any:
    counted = _records(conn, models_matching(filters, Model.id, PLOTTED, PRETRAINING_TOKENS,
                                             case((USES_ACTIVE, 1), else_=0))
                       .where(PLOTTED > 0, or_(Model.train_tokens > 0, PRETRAINING_TOKENS > 0)),
                       ("id", "x", "y", "moe"))
    stage = ~(counted["y"].astype(float) > 0)  # only their own stage's tokens are known
    usable = counted[~stage]
    charts.check_usable(total, len(usable), int(stage.sum()))
    ids = usable["id"]
    if len(usable) > max_points:
        ids = ids.iloc[charts.one_per_cell(ids, charts.log10_of(usable["x"]), charts.log10_of(usable["y"]), max_points)]
    data = _full_rows(conn, list(ids))
    return charts.draw_compute(data, total, len(counted), int(stage.sum()), int(usable["moe"].sum()),
                               charts.grid_cells(max_points), title, width, height, max_labels)


# --- Growth over time --------------------------------------------------------------------------


def _growth(conn: Connection, filters: Filters, total: int, title: str | None = None, width: int | None = None,
            height: int | None = None, max_points: int = charts.MAX_POINTS, frontier: str | None = None) -> Any:
    charts.check_period(frontier)
    dated, first, last = conn.execute(models_matching(filters, func.count(Model.released), func.min(Model.released),
                                              func.max(Model.released))).one()
    charts.check_dated(total, dated, "growth chart")
    # compute as models_frame gives it: reported where a source gives it, else 6·N·D
    params = PLOTTED
    compute = case((and_(Model.train_compute.is_not(None), Model.train_compute != 0), Model.train_compute),
                   (and_(params.is_not(None), params != 0, Model.train_tokens.is_not(None), Model.train_tokens != 0,
                         # 6·N·D within float range (else empty, as models_frame has it); no overflow on the way
                         params <= (sys.float_info.max / 6) / case((Model.train_tokens >= 1, Model.train_tokens),
                                                                   else_=1.0)),
                    6 * params * Model.train_tokens))
    released = (cast(Model.released, String), Model.released_precision)
    # in the frame's order: least squares sums in that order, to the last digit of the trend line
    sized = models_matching(filters, Model.id, *released, Model.params, literal(False)).where(DATED, Model.params > 0)
    computed = models_matching(filters, Model.id, *released, compute, LATER_STAGE).where(DATED, compute > 0)
    panels, ids, later_stage, leaders = [], set(), 0, {}
    for what, stmt in zip(charts.GROWTH_PANELS, (sized, computed), strict=True):
        rows, years, logs, hashes, left_out = _scan_values(conn, stmt.order_by(*order_by(None)))
        later_stage += left_out
        if frontier:
            top = charts.frontier_positions(years, logs, frontier)
            trend, leaders[what] = charts.fit_years(years[top], logs[top]), {rows[i] for i in top}
            ids |= leaders[what]
        else:
            trend = charts.fit_years(years, logs)
        chosen: Iterable[int] = range(len(rows))
        if len(rows) > max_points // 2:
            chosen = charts.one_per_cell_hashed(hashes, years, logs, max_points // 2)
        panels.append((what, {rows[i] for i in chosen} | leaders.get(what, set()), trend, len(rows)))
        ids |= panels[-1][1]
    frame = _full_rows(conn, sorted(ids))
    return charts.draw_growth([(what, frame[frame["id"].isin(chosen)], trend, n) for what, chosen, trend, n in panels],
                              total, dated, (first.year, last.year), later_stage,
                              charts.grid_cells(max_points // 2), title, width, height, frontier=frontier,
                              leaders=leaders)


def _scan_values(conn: Connection, stmt: Any) -> tuple[list[str], Any, Any, Any, int]:
    """(ids, decimal years, log10 values, id hashes, rows left out) of the rows (id, released text,
    precision, value, left out?) of `stmt`, read 100,000 at a time: no frame of every model."""
    import numpy as np
    import pandas as pd

    ids: list[str] = []
    years, logs, hashes = [], [], []
    left_out = 0
    cursor = _raw_rows(conn, stmt)
    while chunk := cursor.fetchmany(100_000):
        part = pd.DataFrame.from_records(chunk, columns=["id", "released", "precision", "value",
                                                                           "out"])
        out = part["out"].astype(bool)
        left_out += int(out.sum())
        part = part[~out]
        years.append(charts.decimal_years(_dates(part["released"], part["precision"])))
        logs.append(charts.log10_of(part["value"].astype(float)))
        hashes.append(charts.id_hashes(part["id"]))
        ids += part["id"].tolist()
    join = lambda arrays, dtype: np.concatenate(arrays) if arrays else np.array([], dtype=dtype)  # noqa: E731
    return ids, join(years, float), join(logs, float), join(hashes, np.uint64), left_out


# --- Architectures by year ---------------------------------------------------------------------


def _architectures(conn: Connection, filters: Filters, total: int, title: str | None = None,
                   width: int | None = None, height: int | None = None, share: bool = False) -> Any:
    import pandas as pd

    year = extract("year", Model.released)
    arch = case((Model.arch.in_(ARCHITECTURES), Model.arch), else_=literal(charts.UNKNOWN))
    counts = _records(conn, models_matching(filters, year, arch, func.count()).where(DATED).group_by(year, arch),
                      ("year", "arch_plot", "models"))
    if counts.empty:
        charts.check_dated(total, 0, "architectures chart")
    counts = counts.astype({"year": "int64", "models": "int64"})
    # the latest release date cut to its precision: the latest of each precision, cut
    latest = _records(conn, models_matching(filters, cast(func.max(Model.released), String), Model.released_precision)
                      .where(DATED).group_by(Model.released_precision), ("released", "precision"))
    return charts.draw_architectures(counts, total, int(counts["models"].sum()),
                                     pd.Timestamp(_dates(latest["released"], latest["precision"]).max()),
                                     title, width, height, share)


_LARGE_CHARTS: dict[str, Callable[..., Any]] = {"timeline": _timeline, "compute": _compute, "growth": _growth,
                                                 "architectures": _architectures}
