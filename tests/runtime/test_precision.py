"""``DIFFVIZ_PRECISION=int8``: an opt-in int8 model whose distance from fp32 is measured at load and said."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from diffviz.runtime import ProviderError, load_model


def test_fp32_is_the_default_and_says_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIFFVIZ_PRECISION", raising=False)
    model = load_model("swiss_roll")
    assert model.precision == "fp32" and model.precision_error == 0.0
    assert not any("PRECISION" in n for n in model.card.notices)


def test_int8_is_measured_against_fp32_and_the_difference_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DIFFVIZ_PRECISION", raising=False)
    fp32 = load_model("swiss_roll")
    monkeypatch.setenv("DIFFVIZ_PRECISION", "int8")
    int8 = load_model("swiss_roll")
    assert int8.precision == "int8"
    note = next(n for n in int8.card.notices if n.startswith("DIFFVIZ_PRECISION=int8"))
    assert f"{int8.precision_error:.3g}" in note and "% of its range" in note
    x = np.random.default_rng(3).standard_normal((2000, 2), dtype=np.float32)
    a, b = fp32(x, 300.0), int8(x, 300.0)
    difference = np.abs(a - b).max()
    assert 0 < difference < 0.1 * np.ptp(a)  # another answer, close to fp32's
    np.testing.assert_array_equal(int8(x, 300.0), b)  # and the same one every time (runs stay reproducible)


def test_an_unknown_precision_is_refused_with_the_valid_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIFFVIZ_PRECISION", "fp16")
    with pytest.raises(ProviderError, match="'fp16' is not a precision; valid: fp32, int8"):
        load_model("swiss_roll")


def test_int8_without_the_quantizer_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIFFVIZ_PRECISION", "int8")
    monkeypatch.setitem(sys.modules, "onnxruntime.quantization", None)  # as if onnx were not installed
    with pytest.raises(ProviderError, match="pip install onnx"):
        load_model("swiss_roll")
