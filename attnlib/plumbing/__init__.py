"""Plumbing every layer uses: where things are kept (:mod:`.paths`, the one reader of the ``ATTNLIB_*`` variables),
the device and torch's threads (:mod:`.device`), the user-facing errors (:mod:`.errors`) and atomic writes
(:mod:`.io`). Nothing here knows about datasets, models or the paper.
"""
