"""What ``refund-sync doctor`` reports: one check per assumption an adapter makes about an account.

Every adapter relies on facts about the service it talks to (a column exists, a link has this
direction, amounts carry this sign, an API version is still served). Some are documented,
some are not; those that are not must be checked on the live account before anything is
written. A :class:`Check` says what is assumed, the fact it rests on and how sure that fact
is, whether it holds on this account (or cannot be observed there), and the evidence. A
:class:`DoctorReport` gathers the checks of one account; it passes when none fails.

Each vendor package builds its checks in its own ``_doctor`` module, reading only (no write
is ever sent); this module holds the shared types and their text and JSON forms.
"""

from __future__ import annotations

import collections.abc
import enum
import functools
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.errors import IterableValidationError, IterableValidationNote
from cattrs.gen import make_dict_structure_fn, override

from ._decode import UpstreamDataError, structure

__all__ = [
    "Check",
    "Confidence",
    "DoctorReport",
    "Verdict",
    "answer_converter",
    "read_answer",
    "render_text",
]

T = TypeVar("T")


class Verdict(enum.StrEnum):
    """Whether an assumption holds on the account."""

    HOLDS = "holds"
    FAILS = "fails"
    NOT_OBSERVABLE = "not observable"


class Confidence(enum.StrEnum):
    """How well the fact behind an assumption is established (the NetSuite facts pack's tags)."""

    ORACLE = "O"  # documented by the vendor
    MULTI = "M"  # seen in two or more independent public sources
    SINGLE = "S"  # a single source
    UNKNOWN = "?"  # unknown or conflicting
    OWN = "own"  # the library's own configuration or custom fields


@attrs.frozen
class Check:
    """One assumption checked on one account.

    ``remedy`` says what to do when it fails (shown only then).
    """

    vendor: str
    name: str
    assumption: str
    fact: str
    confidence: Confidence
    verdict: Verdict
    evidence: str
    remedy: str = ""

    @property
    def failed(self) -> bool:
        """Whether the assumption is contradicted by the account."""
        return self.verdict is Verdict.FAILS

    def as_dict(self) -> dict[str, Any]:
        """The check as JSON-ready values."""
        return {
            "vendor": self.vendor,
            "name": self.name,
            "assumption": self.assumption,
            "fact": self.fact,
            "confidence": self.confidence.value,
            "verdict": self.verdict.value,
            "evidence": self.evidence,
            "remedy": self.remedy,
        }


@attrs.frozen
class DoctorReport:
    """Every check of one account, with the library version that ran them."""

    account: str
    version: str
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """True when no check fails."""
        return not self.failed

    @property
    def failed(self) -> tuple[Check, ...]:
        """The checks that fail."""
        return tuple(check for check in self.checks if check.failed)

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values."""
        return {
            "account": self.account,
            "version": self.version,
            "ok": self.ok,
            "checks": [check.as_dict() for check in self.checks],
        }


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _exactly(kind: type[Any]) -> Callable[[object, object], Any]:
    def hook(value: object, _type: object) -> Any:
        if type(value) is not kind:
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    return hook


def _each(
    converter: cattrs.Converter, pairs: Iterable[tuple[Any, object]], item: Any, kind: Any
) -> list[Any]:
    """Each element structured as ``item``; every failure noted with its index or key."""
    done: list[Any] = []
    errors: list[Exception] = []
    for index, element in pairs:
        try:
            done.append(converter.structure(element, item))
        except Exception as exc:
            exc.__notes__ = [
                *getattr(exc, "__notes__", []),
                IterableValidationNote(f"Structuring {kind} @ index {index!r}", index, item),
            ]
            errors.append(exc)
    if errors:
        raise IterableValidationError(f"While structuring {kind!r}", errors, kind)
    return done


def answer_converter(*, camel_case: bool = False) -> cattrs.Converter:
    """The converter a doctor structures a vendor's answer with (via ``_decode.structure``).

    Strict where cattrs is lenient: an object must be a JSON object, a tuple a JSON array, a
    mapping a JSON object, and strings, booleans and integers exactly those (``"1"`` is no
    integer, a string is no list of characters). Unknown keys are ignored: vendors add fields.
    ``camel_case`` reads each snake_case attribute from its camelCase key (Shopify, Amazon).
    """
    converter = cattrs.Converter(forbid_extra_keys=False)
    for kind in (str, bool, int):
        converter.register_structure_hook(kind, _exactly(kind))

    def is_tuple(kind: Any) -> bool:
        return get_origin(kind) is tuple

    def tuple_of(kind: Any) -> Callable[[object, object], Any]:
        (item, *_) = get_args(kind)

        def hook(value: object, _type: object) -> Any:
            if not isinstance(value, list):
                raise TypeError(f"expected an array, got {type(value).__name__}")
            return tuple(_each(converter, enumerate(value), item, kind))

        return hook

    def is_mapping(kind: Any) -> bool:
        return get_origin(kind) in (dict, collections.abc.Mapping)

    def mapping_of(kind: Any) -> Callable[[object, object], Any]:
        key, item = get_args(kind)

        def hook(value: object, _type: object) -> Any:
            if not isinstance(value, dict):
                raise TypeError(f"expected an object, got {type(value).__name__}")
            keys = [converter.structure(k, key) for k in value]
            return dict(zip(keys, _each(converter, value.items(), item, kind), strict=True))

        return hook

    def object_of(kind: type[Any]) -> Callable[[object, object], Any]:
        renamed: dict[str, Any] = {
            field.name: override(rename=_camel(field.name) if camel_case else None)
            for field in attrs.fields(kind)
        }
        build = make_dict_structure_fn(kind, converter, **renamed)

        def hook(value: object, _type: object) -> Any:
            if not isinstance(value, dict):
                raise TypeError(f"expected an object, got {type(value).__name__}")
            return build(value, kind)

        return hook

    converter.register_structure_hook_factory(is_tuple, tuple_of)
    converter.register_structure_hook_factory(is_mapping, mapping_of)
    converter.register_structure_hook_factory(attrs.has, object_of)
    return converter


_SNAKE_KEY = re.compile(r"\.([a-z][a-z0-9]*(?:_[a-z0-9]+)+)")


def _camel_path(path: str) -> str:
    return _SNAKE_KEY.sub(lambda m: "." + _camel(m.group(1)), path)


@functools.cache
def _converter(camel_case: bool) -> cattrs.Converter:
    return answer_converter(camel_case=camel_case)


def read_answer(
    value: object, cls: type[T], *, service: str, endpoint: str, camel_case: bool = False
) -> T:
    """``value`` (a parsed answer) as ``cls``, through :func:`._decode.structure`.

    Any problem is an :class:`~._decode.UpstreamDataError` whose path names the answer's own
    keys (camelCase ones too, when ``camel_case``).
    """
    try:
        return structure(_converter(camel_case), value, cls, service=service, endpoint=endpoint)
    except UpstreamDataError as exc:
        if not camel_case:
            raise
        problems = tuple(_camel_path(problem) for problem in exc.problems)
        message = problems[0].rpartition(" @ ")[0] or str(exc)
        raise UpstreamDataError(
            message,
            service=service,
            endpoint=endpoint,
            path=_camel_path(exc.path),
            problems=problems,
        ) from exc


def _wrap(text: str, width: int, indent: str) -> list[str]:
    words = text.split()
    lines: list[str] = []
    current = ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            lines.append(indent + current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(indent + current)
    return lines


def render_text(reports: Sequence[DoctorReport] | Iterable[DoctorReport]) -> str:
    """The reports as readable text: one block per check, failures first."""
    out: list[str] = []
    for report in reports:
        status = "ok" if report.ok else f"{len(report.failed)} failed"
        out.append(f"{report.account} (refund-sync {report.version}): {status}")
        ordered = sorted(report.checks, key=lambda check: (not check.failed, check.vendor))
        for check in ordered:
            mark = {Verdict.HOLDS: "ok  ", Verdict.FAILS: "FAIL", Verdict.NOT_OBSERVABLE: "n/o "}
            out.append(f"  [{mark[check.verdict]}] {check.vendor} {check.name}")
            out.extend(_wrap(f"assumes: {check.assumption}", 92, "         "))
            out.extend(_wrap(f"fact: {check.fact} [{check.confidence.value}]", 92, "         "))
            out.extend(_wrap(f"evidence: {check.evidence}", 92, "         "))
            if check.failed and check.remedy:
                out.extend(_wrap(f"to do: {check.remedy}", 92, "         "))
        out.append("")
    return "\n".join(out)
