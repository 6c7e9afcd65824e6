import gzip
import hashlib
import importlib.util
import json
import sys
import tomllib
from pathlib import Path

import pytest

from tests import specs

ROOT = Path(__file__).resolve().parents[1]


def _load_tool():
    spec = importlib.util.spec_from_file_location("fetch_specs", ROOT / "tools" / "fetch_specs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fetch_specs"] = module
    spec.loader.exec_module(module)
    return module


fetch_specs = _load_tool()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest(tmp_path: Path, entries: list[dict[str, str]]) -> Path:
    lines = []
    for entry in entries:
        lines.append("[[spec]]")
        lines.extend(f"{key} = {json.dumps(value)}" for key, value in entry.items())
    path = tmp_path / "manifest.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_file_source_is_fetched_transformed_and_verified(tmp_path):
    """Byte copies, gunzipped archives and YAML turned into JSON arrive verified in the cache."""
    published = tmp_path / "published"
    published.mkdir()
    plain = b'{"openapi": "3.0.0"}'
    (published / "plain.json").write_bytes(plain)
    packed = b'{"paths": {}}'
    (published / "packed.json.gz").write_bytes(gzip.compress(packed))
    (published / "spec.yaml").write_text("b: 2\na: [1, x]\n")
    as_json = json.dumps({"a": [1, "x"], "b": 2}, indent=2, sort_keys=True).encode()
    manifest = _manifest(
        tmp_path,
        [
            {
                "path": "v/plain.json",
                "url": (published / "plain.json").as_uri(),
                "transform": "none",
                "sha256": _sha(plain),
            },
            {
                "path": "v/packed.json",
                "url": (published / "packed.json.gz").as_uri(),
                "transform": "gunzip",
                "sha256": _sha(packed),
            },
            {
                "path": "w/spec.json",
                "url": (published / "spec.yaml").as_uri(),
                "transform": "yaml-to-json",
                "sha256": _sha(as_json),
            },
        ],
    )
    dest = tmp_path / "cache"
    assert fetch_specs.main(["--manifest", str(manifest), "--dest", str(dest)]) == 0
    assert (dest / "v" / "plain.json").read_bytes() == plain
    assert (dest / "v" / "packed.json").read_bytes() == packed
    assert (dest / "w" / "spec.json").read_bytes() == as_json


def test_a_wrong_hash_is_refused_and_nothing_is_written(tmp_path, capsys):
    """A download whose sha256 differs from the manifest's fails the run and leaves no file."""
    source = tmp_path / "spec.json"
    source.write_bytes(b"tampered")
    manifest = _manifest(
        tmp_path,
        [
            {
                "path": "v/spec.json",
                "url": source.as_uri(),
                "transform": "none",
                "sha256": _sha(b"original"),
            }
        ],
    )
    dest = tmp_path / "cache"
    assert fetch_specs.main(["--manifest", str(manifest), "--dest", str(dest)]) == 1
    assert not (dest / "v" / "spec.json").exists()
    assert "expected" in capsys.readouterr().err


def test_a_verified_file_is_kept_and_an_address_less_one_is_reported(tmp_path, capsys):
    """A cached file with the right hash is not fetched again; a spec with no URL is 'absent'."""
    dest = tmp_path / "cache"
    (dest / "v").mkdir(parents=True)
    (dest / "v" / "spec.json").write_bytes(b"kept")
    manifest = _manifest(
        tmp_path,
        [
            {
                "path": "v/spec.json",
                "url": (tmp_path / "gone.json").as_uri(),
                "transform": "none",
                "sha256": _sha(b"kept"),
            },
            {"path": "n/facts.json", "url": "", "transform": "none", "sha256": _sha(b"x")},
        ],
    )
    assert fetch_specs.main(["--manifest", str(manifest), "--dest", str(dest)]) == 0
    out = capsys.readouterr().out
    assert "already present" in out
    assert "absent   n/facts.json" in out


def test_a_path_leaving_the_cache_is_refused(tmp_path):
    """A manifest entry cannot write outside the destination folder."""
    manifest = _manifest(
        tmp_path, [{"path": "../x.json", "url": "", "transform": "none", "sha256": "0"}]
    )
    with pytest.raises(SystemExit, match="leaves the cache"):
        fetch_specs.load_manifest(manifest)


def test_the_manifest_covers_every_spec_the_tests_read():
    """Every spec file named under tests/ has a manifest entry, and each entry names a sha256."""
    entries = tomllib.loads((ROOT / "tests" / "specs_manifest.toml").read_text())["spec"]
    listed = {entry["path"] for entry in entries}
    assert all(len(entry["sha256"]) == 64 for entry in entries)
    named = set()
    for path in (ROOT / "tests").rglob("*.py"):
        text = path.read_text()
        for entry_dir in ("stripe", "shopify", "magento", "amazon", "netsuite"):
            for chunk in text.split('"')[1::2]:
                if chunk.startswith(f"{entry_dir}/") and "." in chunk.rsplit("/", 1)[-1]:
                    named.add(chunk)
    assert named, "no spec path found in the tests: the scan is broken"
    assert named <= listed, f"specs read by tests but missing from the manifest: {named - listed}"


def test_the_present_specs_match_the_manifest():
    """Where the specs are present, each file's sha256 is the one the manifest gives."""
    entries = tomllib.loads((ROOT / "tests" / "specs_manifest.toml").read_text())["spec"]
    checked = 0
    for entry in entries:
        path = specs.specs_dir() / entry["path"]
        if path.is_file():
            assert _sha(path.read_bytes()) == entry["sha256"], entry["path"]
            checked += 1
    if not checked:
        pytest.skip(f"no vendor specs under {specs.specs_dir()}: run `python -m nox -s specs`")


def test_tests_fall_back_to_the_download_cache(tmp_path, monkeypatch):
    """With no $REFUND_SYNC_SPECS and no ../shared/specs, tests read the nox -s specs cache."""
    monkeypatch.delenv(specs.ENV_VAR, raising=False)
    monkeypatch.setattr(specs, "DEFAULT", tmp_path / "no-shared-specs")
    monkeypatch.setenv(specs.CACHE_ENV, str(tmp_path / "cache"))
    assert specs.specs_dir() == tmp_path / "cache"
    assert fetch_specs.default_cache() == tmp_path / "cache"
