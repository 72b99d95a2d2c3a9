"""The charts: `draw` (timeline, compute, growth, architectures and their shared style), `capability`,
`tree` and `data_mix` (one chart each), `selection` (choosing the models of a chart in SQL for large
catalogues) and `files` (writing a chart as .html, .png, .svg, .pdf or .json, and the Vega bundle)."""
