"""Exporting runs as videos and stills: frames drawn offscreen by the window's own views, then encoded.

- ``timing``: which step each frame shows (uniform in steps or in log-SNR); ``caption``: the caption line;
- ``render``: :class:`~diffviz.export.render.FrameRenderer`, the offscreen page of views (Qt);
- ``encode``: MP4 / WebM / GIF / PNG frames through imageio-ffmpeg's ffmpeg, written whole or not at all.

``diffviz render`` (``diffviz.commands.render``) puts them together; the window's File → Export video runs it.
"""
