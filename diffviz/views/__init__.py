"""The views (Qt + pyqtgraph, no app logic): each draws one quantity of a step of a run, given a model
(``set_model``), the run's particle colours, the session's view settings and then frames. The window (``ui``)
and the video export (``export``) both draw with these classes, so a video looks like the app.

- ``grid``: :class:`~diffviz.views.grid.ViewGrid`, the views in the session's panels and layout, linked;
- ``points`` / ``images``: the 2D views and the image-mosaic views; ``base``: what every view is;
- ``particles``, ``lines``, ``fast_scatter``: the layers they draw with; ``colors``: palettes and colour maps;
- ``frame``: one step's arrays, derived once; ``model_info``: what the views know of a model (no Qt).
"""
