"""Issue 14, done means: a catalogue written by the release at revision 0002, with user models, a user
copy of a curated model, user sources, a user dataset and lineage, opens with this release, upgrades
on first use, and every user fact, note, alias and parent is unchanged: on SQLite and PostgreSQL.

The rows are written through the tables as they stood at 0002 (reflected), every column of every
user row is compared before and after, and the only values allowed to appear in a user row are the
ones llmzoo computes (listed in computed_facts: what a fine-tune inherits)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from click.testing import CliRunner
from sqlalchemy import MetaData, select

from catalog.store.db import make_engine
from catalog.store.migrate import run_upgrade
from catalog.store.schema import SCHEMA_REVISION
from cli.main import cli

D = dt.date
ROWS_0002: dict[str, list[dict[str, Any]]] = {
    "sources": [
        {"id": "touvron2023llama", "url": "https://arxiv.org/abs/2302.13971", "title": "LLaMA", "kind": "paper",
         "origin": "curated"},
        {"id": "lab-report", "url": "https://example.org/lab", "title": "Lab report", "kind": "paper",
         "published": "2024-02", "origin": "user"},
        {"id": "my-notes", "url": "https://example.org/notes", "title": "My notes", "kind": "third-party",
         "origin": "user"},
    ],
    "organizations": [
        {"id": "meta", "name": "Meta AI", "country": "US", "kind": "industry", "origin": "curated"},
        {"id": "openai", "name": "OpenAI", "country": "US", "kind": "industry", "origin": "curated"},
        {"id": "mylab", "name": "My Lab", "country": "FR", "kind": "academia", "origin": "user"},
    ],
    "families": [{"id": "lab-ft", "name": "Lab FT", "org_id": "mylab", "note": "our fine-tunes", "origin": "user"}],
    "models": [
        {"id": "llama-7b", "name": "LLaMA 7B", "org_id": "meta", "source_id": "touvron2023llama", "origin": "curated",
         "released": D(2023, 2, 24), "released_precision": "day", "arch": "causal-decoder", "params": 6.7e9,
         "train_tokens": 1e12, "layers": 32},
        {"id": "lab-ft-7b", "name": "Lab FT 7B", "family_id": "lab-ft", "org_id": "mylab", "source_id": "lab-report",
         "note": "LoRA on our data", "origin": "user", "released": D(2024, 2, 1), "released_precision": "month",
         "params": 6.7e9, "train_tokens": 2e9, "context_length": 4096, "hardware": "A100-80GB",
         "hardware_count": 8, "training_days": 2.5, "knowledge_cutoff": D(2023, 12, 1),
         "knowledge_cutoff_precision": "month", "training_languages": "en,fr", "adaptation": "sft,dpo",
         "adaptation_data": "our chats", "accept": {"train_tokens": "a small fine-tune"}},
        {"id": "gpt-4", "name": "GPT-4 (my notes)", "org_id": "openai", "source_id": "my-notes", "origin": "user",
         "released": D(2023, 3, 14), "released_precision": "day", "context_length": 32768, "open_weights": False},
    ],
    "model_facts": [
        {"model_id": "lab-ft-7b", "field": "params", "source_id": "lab-report", "status": "estimated",
         "method": "third-party", "confidence": "likely", "note": "rounded"},
        {"model_id": "lab-ft-7b", "field": "hardware", "source_id": "my-notes", "status": "reported",
         "note": "from the job logs"},
        {"model_id": "gpt-4", "field": "params", "source_id": "my-notes", "status": "unpublished",
         "note": "never disclosed"},
        {"model_id": "gpt-4", "field": "context_length", "source_id": "my-notes", "status": "reported",
         "note": "the 32K variant"},
    ],
    "aliases": [
        {"key": "labft7b", "model_id": "lab-ft-7b", "alias": "lab-ft-7b", "is_name": True},
        {"key": "labft", "model_id": "lab-ft-7b", "alias": "LabFT", "is_name": False},
        {"key": "gpt4", "model_id": "gpt-4", "alias": "gpt-4", "is_name": True},
        {"key": "gpt4mynotes", "model_id": "gpt-4", "alias": "GPT-4 (my notes)", "is_name": True},
        {"key": "mygpt", "model_id": "gpt-4", "alias": "MyGPT", "is_name": False},
        {"key": "llama7b", "model_id": "llama-7b", "alias": "llama-7b", "is_name": True},
    ],
    "datasets": [{"id": "our-chats", "name": "Our chats", "kind": "dialogue", "source_id": "lab-report",
                  "languages": ["en", "fr"], "tokens": 2e9, "note": "collected 2023", "origin": "user"}],
    "dataset_facts": [{"dataset_id": "our-chats", "field": "tokens", "source_id": "my-notes", "status": "estimated",
                       "method": "counted", "confidence": "confident", "note": "tokenizer of LLaMA"}],
    "model_datasets": [{"model_id": "lab-ft-7b", "dataset_id": "our-chats", "share": 1.0, "epochs": 3.0,
                        "tokens": 2e9, "source_id": "lab-report", "note": "all of it", "origin": "user"}],
    "lineage": [{"child_id": "lab-ft-7b", "parent_id": "llama-7b", "relation": "fine-tune", "source_id": "lab-report",
                 "note": "LoRA", "origin": "user"}],
}
USER_MODELS = ("gpt-4", "lab-ft-7b")


def write_0002_catalogue(db: str) -> dict[str, list[str]]:
    """A catalogue at revision 0002 holding ROWS_0002; returns each table's columns at 0002."""
    engine = make_engine(db)
    run_upgrade(engine, "0002")
    meta = MetaData()
    meta.reflect(engine)
    with engine.begin() as conn:
        for name, rows in ROWS_0002.items():
            for row in rows:  # one at a time: the rows of a table set different columns
                conn.execute(meta.tables[name].insert().values(**row))
    columns = {name: [c.name for c in meta.tables[name].columns] for name in ROWS_0002}
    engine.dispose()
    return columns


def user_rows(db: str, columns: dict[str, list[str]]) -> dict[str, list[tuple[Any, ...]]]:
    """Every column (as of 0002) of every user row, and of the facts and aliases of user models; a value
    llmzoo computed into a user model's column (listed in computed_facts) reads as None."""
    engine = make_engine(db)
    meta = MetaData()
    meta.reflect(engine)
    out = {}
    with engine.connect() as conn:
        computed = set()
        if "computed_facts" in meta.tables:
            table = meta.tables["computed_facts"]
            computed = {tuple(r) for r in conn.execute(select(table.c.model_id, table.c.field))}
        for name, names in columns.items():
            table = meta.tables[name]
            stmt = select(*[table.c[c] for c in names])
            if "origin" in table.c:
                stmt = stmt.where(table.c.origin == "user")
            elif "model_id" in table.c:
                stmt = stmt.where(table.c.model_id.in_(USER_MODELS))
            else:
                stmt = stmt.where(table.c.dataset_id == "our-chats")
            rows = []
            for row in conn.execute(stmt).mappings():
                rows.append(tuple(None if name == "models" and (row["id"], c) in computed else _plain(row[c])
                                  for c in names))
            out[name] = sorted(rows, key=repr)
    engine.dispose()
    return out


def _plain(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else value


def test_revision_0002_catalogue_keeps_every_user_row_on_first_use(db: str) -> None:
    columns = write_0002_catalogue(db)
    before = user_rows(db, columns)
    assert len(before["models"]) == 2 and len(before["model_facts"]) == 4 and len(before["aliases"]) == 5

    shown = CliRunner().invoke(cli, ["--db", db, "show", "mygpt", "--format", "json"])  # the first use
    assert shown.exit_code == 0, shown.output
    assert user_rows(db, columns) == before
    gpt4 = json.loads(shown.stdout)
    assert (gpt4["id"], gpt4["origin"], gpt4["name"]) == ("gpt-4", "user", "GPT-4 (my notes)")
    assert gpt4["facts"]["context_length"] == {"value": 32768, "source": "my-notes", "status": "reported",
                                               "method": None, "confidence": None, "note": "the 32K variant"}
    assert gpt4["facts"]["context_window"]["value"] == 32768  # derived from it, marked derived
    assert gpt4["facts"]["context_window"]["status"] == "derived"
    engine = make_engine(db)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == SCHEMA_REVISION
    engine.dispose()

    ft = json.loads(CliRunner().invoke(cli, ["--db", db, "show", "lab-ft-7b", "--format", "json"]).stdout)
    assert ft["note"] == "LoRA on our data" and ft["aliases"] == ["LabFT"]
    assert ft["parents"][0]["model"] == "llama-7b" and ft["parents"][0]["note"] == "LoRA"
    assert ft["facts"]["hardware"]["note"] == "from the job logs"
    assert ft["facts"]["layers"]["status"] == "inherited"  # computed, never stored as the user's
    assert [(d["dataset"], d["note"]) for d in ft["datasets"]] == [("our-chats", "all of it")]
    # a second run changes nothing either
    assert CliRunner().invoke(cli, ["--db", db, "list", "--origin", "user"]).exit_code == 0
    assert user_rows(db, columns) == before
