"""The records of data/: pydantic models of the curated YAML, the data path, loading."""
