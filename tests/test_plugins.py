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


def _registry(package, **kw):
    from edgenn.plugins import Registry

    return Registry("fake_registry_pkg", package, duplicate="fake entry {name!r} is registered twice", **kw)


def test_registry_scans_its_package_on_first_lookup_and_refuses_duplicates(package):
    registry = _registry(package, select=lambda n: n.startswith("rule_"))
    registry.add("early", 1)  # a decorator runs at its module's import, before any lookup
    assert "fake_registry_pkg" not in sys.modules  # nothing scanned yet
    assert sorted(registry) == ["early"] and sys.modules["fake_registry_pkg"].FOUND == ["rule_a", "rule_b"]
    with pytest.raises(ValueError, match="fake entry 'early' is registered twice"):
        registry.add("early", 2)
    same = _registry(package, same=lambda a, b: a == b)
    same.add("x", 1)
    same.add("x", 1)  # a module imported again registers the same entry again
    assert dict(same) == {"x": 1}


def test_registry_names_the_closest_entry_and_retries_a_broken_scan(package):
    registry = _registry(package)
    registry.add("dense", 1)
    (package / "rule_c.py").write_text("raise RuntimeError('broken entry')\n")
    for _ in range(2):  # the second lookup fails the same way: never a registry silently short of an entry
        with pytest.raises(RuntimeError, match="broken entry"):
            len(registry)
    (package / "rule_c.py").write_text("")
    assert len(registry) == 1
    err = registry.unknown("dens", "layer", "layers")
    assert str(err) == "unknown layer 'dens'; known layers: dense. Did you mean 'dense'?"
    twin = registry.copy()
    twin.add("conv", 2)
    assert "conv" not in registry and sorted(twin) == ["conv", "dense"]
