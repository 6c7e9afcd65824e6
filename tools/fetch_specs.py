"""Download the vendor specs the contract tests read, verifying each against its sha256.

Reads ``tests/specs_manifest.toml`` (or ``--manifest``): each entry names the file the tests
expect (``path``), where it is published (``url``, any scheme ``urllib`` opens, ``file://``
included), how the published file becomes the tested one (``transform``), and the sha256 of the
result. A file already in the cache with the right hash is kept; a download whose hash differs
is refused and nothing is written for it. Entries with no ``url`` (NetSuite's hand-written facts
pack) are listed as not downloadable.

Usage: ``python -m nox -s specs`` or ``python tools/fetch_specs.py [--dest DIR]``. The default
destination is the cache ``tests/specs.py`` looks in: ``$REFUND_SYNC_SPECS_CACHE``, else
``$XDG_CACHE_HOME/refund-sync/specs``, else ``~/.cache/refund-sync/specs``. Exit status: 0 when
every downloadable spec is present and verified, 1 when any failed.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import sys
import tempfile
import tomllib
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "tests" / "specs_manifest.toml"
CACHE_ENV = "REFUND_SYNC_SPECS_CACHE"
TIMEOUT_S = 120


def default_cache() -> Path:
    """Where downloaded specs are kept unless told otherwise."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "refund-sync" / "specs"


def _yaml_to_json(data: bytes) -> bytes:
    import yaml  # noqa: PLC0415 - only this transform needs PyYAML (the test group has it)

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        document = yaml.load(data, Loader=loader)
    except yaml.YAMLError as exc:
        raise ValueError(f"not YAML: {exc}") from exc
    return json.dumps(document, indent=2, sort_keys=True).encode()


TRANSFORMS: dict[str, Callable[[bytes], bytes]] = {
    "none": lambda data: data,
    "gunzip": gzip.decompress,
    "yaml-to-json": _yaml_to_json,
}


def sha256(data: bytes) -> str:
    """The hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def load_manifest(path: Path) -> list[dict[str, str]]:
    """The manifest's entries, each checked for the keys it needs."""
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("spec", [])
    for index, entry in enumerate(entries):
        for key in ("path", "url", "transform", "sha256"):
            if not isinstance(entry.get(key), str):
                raise SystemExit(f"{path}: spec[{index}] has no string {key!r}")
        if entry["transform"] not in TRANSFORMS:
            raise SystemExit(
                f"{path}: spec[{index}] ({entry['path']}): unknown transform "
                f"{entry['transform']!r}; known: {', '.join(sorted(TRANSFORMS))}"
            )
        relative = Path(entry["path"])
        if relative.is_absolute() or ".." in relative.parts:
            raise SystemExit(f"{path}: spec[{index}]: path {entry['path']!r} leaves the cache")
    return entries


def fetch_one(entry: dict[str, str], dest: Path) -> str:
    """Make ``dest / entry['path']`` hold the verified spec; return a one-line account."""
    target = dest / entry["path"]
    expected = entry["sha256"].lower()
    if target.is_file() and sha256(target.read_bytes()) == expected:
        return f"ok       {entry['path']} (already present, sha256 verified)"
    if not entry["url"]:
        return f"absent   {entry['path']}: no public download address ({entry.get('version', '')})"
    with urllib.request.urlopen(entry["url"], timeout=TIMEOUT_S) as response:
        published = response.read()
    data = TRANSFORMS[entry["transform"]](published)
    actual = sha256(data)
    if actual != expected:
        raise ValueError(
            f"{entry['path']}: sha256 {actual} after {entry['transform']} of {entry['url']}, "
            f"expected {expected}; not written"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename, so a reader never sees half a file.
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
        handle.write(data)
    Path(handle.name).replace(target)
    return f"fetched  {entry['path']} ({len(data):,} bytes, sha256 verified)"


def main(argv: list[str] | None = None) -> int:
    """Fetch every spec of the manifest; print one line each; 1 if any failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    parser.add_argument("--dest", type=Path, default=None, help="default: the specs cache")
    args = parser.parse_args(argv)
    dest: Path = args.dest or default_cache()
    failed = 0
    for entry in load_manifest(args.manifest):
        try:
            print(fetch_one(entry, dest))
        except (OSError, ValueError) as exc:  # a network failure, a bad archive, a wrong hash
            failed += 1
            print(f"FAILED   {entry['path']}: {exc}", file=sys.stderr)
    print(f"specs in {dest}: {'all verified' if not failed else f'{failed} failed'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
