"""Reading the catalogue: filters and lists, typed model detail, names, lineage, frames."""
