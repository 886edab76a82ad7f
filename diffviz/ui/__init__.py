"""The diffviz desktop app (PySide6 + pyqtgraph): linked views of x_t, the score field, ε̂ and Tweedie's x̂_0.

Layout of this package:

- ``state``: the Qt binding of the session (``diffviz.session``: every setting, Qt-free) and the shown run
- ``sampling_controller``: sampling off the GUI thread; ``frame_throttle``: state → views at ~30 fps
- ``timeline``, ``schedule_panel``, ``schedule_plots``, ``sampler_panel``, ``log_slider``: the controls
- ``main_window``, ``menus``, ``settings_store``, ``app``: the window, its menus, persistence, start-up
"""
