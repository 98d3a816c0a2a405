"""The teaching kit, on top of the book layer: the instance explorer (live in Jupyter, static in the HTML book),
the reading-group slide deck (its prose per language in ``slide_text/``), and the guide's exercises.

Modules: :mod:`.explorer`, :mod:`.slides`, :mod:`.exercises`. Their dependencies (ipywidgets, the npm copy of
reveal.js) are needed only where they are used.
"""
