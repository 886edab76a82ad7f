"""A non-editable install ships the code, the CLI commands, the bundled models and the assets."""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        check=True,
        capture_output=True,
    )
    (whl,) = out.glob("diffviz-*.whl")
    with zipfile.ZipFile(whl) as z:
        return set(z.namelist())


@pytest.mark.slow
def test_wheel_holds_every_package_of_the_source_tree(wheel_names: set[str]) -> None:
    sources = {f"diffviz/{p.relative_to(ROOT / 'diffviz').as_posix()}" for p in (ROOT / "diffviz").rglob("*.py")}
    sources |= {f"diffviz/zoo/{p.relative_to(ROOT / 'models').as_posix()}" for p in (ROOT / "models").rglob("*.py")}
    assert sources - wheel_names == set()


@pytest.mark.slow
def test_wheel_holds_the_bundled_models_and_their_cards(wheel_names: set[str]) -> None:
    zoo = json.loads((ROOT / "models" / "zoo.json").read_text())
    for entry in zoo["models"].values():
        assert f"diffviz/zoo/{entry['file']}" in wheel_names
    assert {"diffviz/zoo/zoo.json", "diffviz/zoo/README.md"} <= wheel_names


@pytest.mark.slow
def test_wheel_holds_the_assets(wheel_names: set[str]) -> None:
    assets = {
        f"diffviz/assets/{p.relative_to(ROOT / 'assets').as_posix()}"
        for p in (ROOT / "assets").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert assets and assets - wheel_names == set()
