"""The database: schema, ORM mapping, engine, migrations glue, writes, user data, backup."""
