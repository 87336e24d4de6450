"""edgenn.plugins: a registry's built-in entries are found by scanning its package, and a broken one is an error."""

import sys

import pytest

from edgenn.plugins import import_package_modules


@pytest.fixture
def package(tmp_path, monkeypatch):
    pkg = tmp_path / "fake_registry_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("FOUND = []\n")
    for name in ("registry", "rule_b", "rule_a", "helper"):
        (pkg / f"{name}.py").write_text(f"from fake_registry_pkg import FOUND\nFOUND.append({name!r})\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield pkg
    for name in [m for m in sys.modules if m.startswith("fake_registry_pkg")]:
        del sys.modules[name]


def test_every_module_but_the_skipped_is_imported_in_name_order(package):
    names = import_package_modules("fake_registry_pkg", package, skip=("registry",))
    assert names == ["helper", "rule_a", "rule_b"]
    assert sys.modules["fake_registry_pkg"].FOUND == ["helper", "rule_a", "rule_b"]


def test_select_keeps_only_the_entry_modules(package):
    assert import_package_modules("fake_registry_pkg", package, select=lambda n: n.startswith("rule_")) == [
        "rule_a", "rule_b"]


def test_a_module_that_fails_to_import_raises(package):
    (package / "rule_c.py").write_text("raise RuntimeError('broken entry')\n")
    with pytest.raises(RuntimeError, match="broken entry"):
        import_package_modules("fake_registry_pkg", package)


def test_the_builtin_registries_find_modules_they_never_name():
    # Each of these lives in a module that its registry never imports by name.
    from edgenn.architectures.registry import families
    from edgenn.compression.base import pass_names
    from edgenn.estimates.layer_models import layer_model_kinds
    from edgenn.exporters.precision_rules import supported_layer_classes

    assert {"dense", "garnet", "interaction_net"} <= set(families())
    assert {"learned_precision", "prune_weights", "quantize_layers"} <= set(pass_names())
    assert {"dense", "conv2d", "merge"} <= set(layer_model_kinds())
    assert {"QDense", "QConv2D", "BatchNormalization"} <= set(supported_layer_classes())
