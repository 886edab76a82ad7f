"""File → Export video…: the window saves its session as a scene and runs ``diffviz render`` on it in a child
process, so a GUI export and a scripted one are the same code with the same defaults and give the same frames.

The child reports progress as JSON lines; the window stays responsive; Cancel stops the child, which removes its
unfinished file (SIGTERM is handled like Ctrl-C there).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QProcess, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from diffviz.session import Scene, write_scene
from diffviz.session.settings import LAYOUTS, PANELS
from diffviz.views import typeset

from .labels import check_box, form_label, math_text

FORMATS = {"MP4 video (H.264)": ".mp4", "WebM video (VP9)": ".webm", "GIF": ".gif", "PNG frames (a folder)": ""}
SIZES = ("1920x1080", "1280x720", "3840x2160", "1080x1080", "800x600")
PANEL_LABELS = {"x_t": "x_t", "score": "score", "eps_hat": "ε̂", "x0_hat": "x̂_0", "forward": "q(x_t | x_0)"}
PREVIEW_WIDTH = 480
PANEL_TIPS = {
    "x_t": "x_t: the particles (or images) at the shown step, from noise to samples.",
    "score": "The score field s_θ(x, t) = ∇ log p_t(x): arrows towards where data is more likely at this noise level.",
    "eps_hat": "ε̂: the model's estimate of the noise in x_t.",
    "x0_hat": "x̂_0: Tweedie's estimate of the clean sample, (x_t + (1 − ᾱ_t) s_θ)/√ᾱ_t.",
    "forward": "q(x_t | x_0): the forward process, the data noised to the shown step's level.",
}
TIPS = {
    "output": "Where the video goes: a file for MP4, WebM or GIF, or a folder for numbered PNG frames.",
    "browse": "Choose where to save the video.",
    "format": (
        "MP4 (H.264) plays everywhere and suits slides; WebM (VP9) is for the web; GIF for short clips (one palette, "
        "large files); PNG frames for editing elsewhere."
    ),
    "size": "The video's size in pixels, WIDTHxHEIGHT (type any size); text grows with the height.",
    "fps": "Frames per second of the video.",
    "duration": "Seconds from x_T to x_0; at 0, one frame per sampling step.",
    "time": (
        "Which steps the frames show: evenly spaced steps, or evenly spaced in log-SNR, which gives more frames to "
        "the low-noise end where the data's structure forms."
    ),
    "panels": "Which views the video shows.",
    "layout": "How the views are arranged: a 2x2 grid, one row of four (for 16:9 with two or more), or one view.",
    "steps": "The steps shown: from the first (0 = x_T) to the last (the run's length = the sample x_0).",
    "caption": "A caption under the views on every frame: the step, t, ᾱ_t, β_t and SNR, the sampler and the schedule.",
    "preview": "Render the first frame with these settings, to check the picture before exporting.",
    "export": "Sample and render the video (diffviz render in a child process); the window stays usable.",
    "cancel": "Stop a running export (its unfinished file is removed), or close this dialog.",
}


def confirm_replace(parent: QWidget, path: str) -> bool:
    """Ask before an export replaces an existing file (a typed path: the file dialog did not ask)."""
    answer = QMessageBox.question(
        parent,
        "Replace file?",
        f"{path} already exists. Replace it?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


class ExportDialog(QDialog):
    """The export form, a preview of the first frame, and a progress bar with Cancel."""

    finished_export = Signal(int, str)  # exit code, the child's last line (a message on failure)

    def __init__(self, window: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent or window)
        self.window_ = window
        self.setWindowTitle("Export video")
        self.process: QProcess | None = None
        self._mode = "export"
        self._preview_path = ""
        self._confirmed = ""  # an existing output the user agreed to replace
        self.stdout_tail = ""
        self.stderr_tail = ""
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        state = window.state  # type: ignore[attr-defined]
        view, K = state.view_settings, max(state.num_steps, 1)

        typeset.register_fonts()
        self.output = QLineEdit(str(Path.cwd() / "diffusion.mp4"))
        browse = QPushButton("Browse…")
        browse.setToolTip(TIPS["browse"])
        browse.clicked.connect(self._browse)
        out_row = QHBoxLayout()
        out_row.addWidget(self.output, 1)
        out_row.addWidget(browse)
        self.format = QComboBox()
        for label, suffix in FORMATS.items():
            self.format.addItem(label, suffix)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.frame_size = QComboBox()
        self.frame_size.addItems(SIZES)
        self.frame_size.setEditable(True)
        self.fps = QSpinBox()
        self.fps.setRange(1, 120)
        self.fps.setValue(30)
        self.duration = QDoubleSpinBox()
        self.duration.setRange(0.0, 600.0)
        self.duration.setSpecialValueText("one frame per step")
        self.duration.setSuffix(" s")
        self.mapping = QComboBox()
        self.mapping.addItem("uniform in steps", "steps")
        self.mapping.addItem("uniform in log-SNR (structure forming is not rushed)", "log-snr")
        self.panels: dict[str, QCheckBox] = {}
        panel_row = QHBoxLayout()
        for name in PANELS:
            label = PANEL_LABELS.get(name, name)
            box, shown = check_box(math_text(label), PANEL_TIPS.get(name, f"Show the {label} view."))
            box.setChecked(name in view.panels)
            self.panels[name] = box
            panel_row.addWidget(shown)
        self.layout_ = QComboBox()
        self.layout_.addItems(LAYOUTS)
        self.layout_.setCurrentText(view.layout)
        self.start = QSpinBox()
        self.start.setRange(0, K)
        self.end = QSpinBox()
        self.end.setRange(0, K)
        self.end.setValue(K)
        self.end.setToolTip(TIPS["steps"])  # the start's is its form label's
        range_row = QHBoxLayout()
        range_row.addWidget(self.start)
        range_row.addWidget(QLabel("to"))
        range_row.addWidget(self.end)
        self.caption, caption_row = check_box(
            math_text("caption: step, t, ᾱ_t, β_t, SNR, sampler, schedule"), TIPS["caption"]
        )
        self.caption.setChecked(True)
        self.preview = QLabel("preview: press Preview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(PREVIEW_WIDTH, PREVIEW_WIDTH * 9 // 16)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status = QLabel("")
        self.status.setWordWrap(True)

        panels_label = QLabel("Panels")
        panels_label.setToolTip(TIPS["panels"])
        form = QFormLayout()
        form.addRow(form_label("Save to", self.output, TIPS["output"]), out_row)
        form.addRow(form_label("Format", self.format, TIPS["format"]), self.format)
        form.addRow(form_label("Size", self.frame_size, TIPS["size"]), self.frame_size)
        form.addRow(form_label("Frames per second", self.fps, TIPS["fps"]), self.fps)
        form.addRow(form_label("Duration", self.duration, TIPS["duration"]), self.duration)
        form.addRow(form_label("Time", self.mapping, TIPS["time"]), self.mapping)
        form.addRow(panels_label, panel_row)  # each box has its own tooltip
        form.addRow(form_label("Layout", self.layout_, TIPS["layout"]), self.layout_)
        form.addRow(form_label("Steps", self.start, TIPS["steps"]), range_row)
        form.addRow(caption_row)
        self.buttons = QDialogButtonBox()
        self.preview_button = self.buttons.addButton("Preview", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        for key, button in (
            ("preview", self.preview_button),
            ("export", self.export_button),
            ("cancel", self.cancel_button),
        ):
            button.setToolTip(TIPS[key])
        self.preview_button.clicked.connect(self.show_preview)
        self.export_button.clicked.connect(self.start_export)
        self.cancel_button.clicked.connect(self.cancel)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    # ---- the form ---------------------------------------------------------------------------------------------
    def _browse(self) -> None:
        suffix = self.format.currentData()
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.output.text(), f"*{suffix}" if suffix else "")
        if path:
            self.output.setText(path)
            self._confirmed = path  # the file dialog asked before choosing an existing file

    def _format_changed(self) -> None:
        path = Path(self.output.text())
        suffix = self.format.currentData()
        base = path.with_suffix("") if path.suffix else path
        self.output.setText(str(base) + suffix if suffix else str(base) + "_frames")

    def render_args(self) -> list[str]:
        """The ``diffviz render`` options this form says (after SOURCE and -o OUT)."""
        panels = [name for name, box in self.panels.items() if box.isChecked()] or ["x_t"]
        args = [
            "--size",
            self.frame_size.currentText(),
            "--fps",
            str(self.fps.value()),
            "--time",
            self.mapping.currentData(),
            "--panels",
            ",".join(panels),
            "--layout",
            self.layout_.currentText(),
            "--start",
            str(self.start.value()),
            "--end",
            str(max(self.end.value(), self.start.value())),
        ]
        if self.duration.value() > 0:
            args += ["--duration", f"{self.duration.value():g}"]
        if not self.caption.isChecked():
            args.append("--no-caption")
        return args

    def _scene_file(self) -> Path:
        """The window's session as a scene in a private temporary folder (the child reads it)."""
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="diffviz-export-")
        path = Path(self._tmp.name) / "scene.toml"
        write_scene(path, Scene.of(self.window_.state.session))  # type: ignore[attr-defined]
        return path

    def command(self, output: str, extra: list[str]) -> list[str]:
        return ["-m", "diffviz", "render", str(self._scene_file()), "-o", output, *self.render_args(), *extra]

    # ---- running the child ------------------------------------------------------------------------------------
    def _run(self, args: list[str]) -> None:
        self.stdout_tail = self.stderr_tail = ""
        process = QProcess(self)
        process.setProgram(sys.executable)
        process.setArguments(args)
        process.readyReadStandardOutput.connect(self._on_stdout)
        process.readyReadStandardError.connect(self._on_stderr)
        process.finished.connect(self._on_finished)
        self.process = process
        self.export_button.setEnabled(False)
        self.preview_button.setEnabled(False)
        process.start()

    def start_export(self) -> None:
        """Render in the child; an existing file is replaced only if the user agreed (in the file dialog or here)."""
        if self.process is not None:
            return
        output = self.output.text()
        replace = os.path.lexists(output)
        if replace and output != self._confirmed and not confirm_replace(self, output):
            self.status.setText(f"not exported: {Path(output).name} exists and was kept")
            return
        self._mode = "export"
        self.status.setText("sampling and rendering…")
        self.progress.setRange(0, 0)  # busy until the first frame reports
        self._run(self.command(output, ["--force", "--progress-json"] if replace else ["--progress-json"]))

    def show_preview(self) -> None:
        """The first frame, rendered by the same command into a temporary PNG."""
        if self.process is not None:
            return
        self._mode = "preview"
        self._preview_path = str(Path(self._tmp.name if self._tmp else tempfile.gettempdir()) / "preview.png")
        self._run([*self.command(self._preview_path, ["--force"]), "--frame", str(self.start.value())])
        self.status.setText("rendering the first frame…")

    def _on_stdout(self) -> None:
        assert self.process is not None
        text = bytes(self.process.readAllStandardOutput().data()).decode(errors="replace")
        for line in text.splitlines():
            if line.startswith("{"):
                try:
                    report = json.loads(line)
                except ValueError:
                    continue
                self.progress.setRange(0, int(report["frames"]))
                self.progress.setValue(int(report["frame"]))
            elif line.strip():
                self.stdout_tail = line.strip()

    def _on_stderr(self) -> None:
        assert self.process is not None
        text = bytes(self.process.readAllStandardError().data()).decode(errors="replace")
        lines = [line for line in text.replace("\r", "\n").splitlines() if line.strip()]
        if lines:
            self.stderr_tail = lines[-1].strip()

    def _on_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        self.process = None
        self.export_button.setEnabled(True)
        self.preview_button.setEnabled(True)
        self.progress.setRange(0, 1)
        crashed = status != QProcess.ExitStatus.NormalExit
        ok = code == 0 and not crashed
        message = self.stdout_tail if ok else (self.stderr_tail or f"the renderer stopped (exit code {code})")
        if self._mode == "preview" and ok:
            image = QImage(self._preview_path)
            self.preview.setPixmap(QPixmap.fromImage(image).scaledToWidth(PREVIEW_WIDTH))
            message = "preview of the first frame"
        self.progress.setValue(1 if ok else 0)
        self.status.setText(message)
        self.finished_export.emit(0 if ok else (code or 1), message)

    def cancel(self) -> None:
        """Stop a running export (its unfinished file is removed by the child); otherwise close the dialog."""
        if self.process is None:
            self.reject()
            return
        self.process.terminate()  # SIGTERM: the child abandons the export like on Ctrl-C
        if not self.process.waitForFinished(10_000):
            self.process.kill()
        self.status.setText("cancelled")

    def closeEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        if self.process is not None:
            self.cancel()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        super().closeEvent(event)  # type: ignore[arg-type]
