"""The catalogue as a static website: open it from disk or publish it anywhere, no server, no network.

`build_site(engine, folder, filters)` writes:

    index.html            every model in one table (sortable, searchable, filterable, paged in the
                          browser from one JSON blob)
    models/<id>.html      one page per model: every fact with its status and source, training data,
                          parents and children, ancestry and descendant trees, the compute chart;
                          above 20,000 models (or with pages="packed") they are packed instead into
                          at most 256 files models/p-<hex>.html, a page being p-<hex>.html#<id>
                          (catalog/site/pack.py)
    datasets.html         every dataset; datasets/<id>.html lists the models trained on it
    charts.html           the charts of catalog.charts, interactive (Vega-Lite)
    tree.html             the evolutionary tree (catalog.charts.tree.chart_tree)
    assets/               CSS, the site's scripts and the Vega / Vega-Lite / vega-embed bundle

Everything is inside the folder. Pages come from Jinja2 templates (catalog/site/templates/) with
autoescape on, so catalogue text is always written as text; JSON inside <script> has `<`, `>` and
`&` escaped, so no name can close a tag. Model pages are written
in a streaming loop over batches of models, so 100k models build in constant memory per batch; from
5,000 models, where processes fork, one process per core writes its share (whole packs when packed)
while the first writes the charts, the tree and the index.
"""

from catalog.site.build import SiteSummary, build_site
from catalog.site.data import index_data, index_rows, iter_model_details
from catalog.site.render import dataset_page, model_page, page_name, safe_url, script_json, tree_html

__all__ = ["SiteSummary", "build_site", "dataset_page", "index_data", "index_rows", "iter_model_details",
           "model_page", "page_name", "safe_url", "script_json", "tree_html"]
