"""Offscreen rendering and video encoding (MP4/GIF) with the window's own view code — a later issue."""
