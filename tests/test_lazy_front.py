"""The front modules ``analysis`` and ``reports`` give every name they list, loading each
module on first use: ``copkit analyse`` does not import the power analysis or the report
builders."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import analysis
import reports


@pytest.mark.parametrize("package", [analysis, reports], ids=lambda p: p.__name__)
def test_every_listed_name_is_there(package: object) -> None:
    names = package.__all__  # type: ignore[attr-defined]
    assert set(package._HOMES) == set(names)  # type: ignore[attr-defined]
    for name in names:
        value = getattr(package, name)
        assert getattr(value, "__name__", name) == name or not callable(value)
    assert set(names) <= set(dir(package))


def test_a_submodule_is_an_attribute_and_an_unknown_name_is_not() -> None:
    assert analysis.reliability.cronbach_alpha is analysis.cronbach_alpha
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = analysis.nothing_here


def test_the_analyse_command_loads_neither_power_nor_report_builders() -> None:
    code = (
        "import json, sys; import survey_app.commands.analyse; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(("
        "'analysis.power', 'statsmodels.formula', 'reports.evaluator', 'reports.manager', "
        "'jinja2', 'weasyprint')))))"
    )
    loaded = json.loads(
        subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        ).stdout
    )
    assert loaded == []


@pytest.mark.parametrize("package", [analysis, reports], ids=lambda p: p.__name__)
def test_no_listed_name_is_also_a_module_of_the_package(package: object) -> None:
    """Importing a submodule sets it as an attribute of the package, so a listed name equal
    to a module's name (``analysis.proposition_power`` was both) turns from the function into
    the module once anything imports that module, e.g. the doctest collection."""
    from pathlib import Path

    folder = Path(package.__file__).parent  # type: ignore[attr-defined]
    modules = {path.stem for path in folder.glob("*.py")}
    assert modules.isdisjoint(package.__all__)  # type: ignore[attr-defined]
