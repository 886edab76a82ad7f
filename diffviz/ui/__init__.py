"""The diffviz desktop app (PySide6 + pyqtgraph): linked views of x_t, the score field, ε̂ and Tweedie's x̂_0.

Layout of this package:

- ``state``: the one observable app state; ``settings``: the settings dataclasses (no Qt)
- ``sampling_controller``: sampling off the GUI thread; ``presenter``: state → views at ~30 fps
- ``view_*``: the views (each one PlotItem drawing one quantity of a ``Frame``) and the layers they draw with
- ``timeline``, ``schedule_panel``, ``schedule_plots``, ``sampler_panel``, ``log_slider``: the controls
- ``main_window``, ``file_actions``, ``settings_store``, ``app``: the window, its menus, persistence, start-up
"""
