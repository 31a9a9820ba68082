"""Stage 4, exporting: what a reader downloads.

`notebook` writes each chapter as an executed Jupyter notebook that runs on its own; `wheel`
packs the tangled package as a reproducible wheel.
"""
