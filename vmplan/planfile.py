"""Reading a plan file (``vmplan pack/evacuate --format json``) back, against an inventory.

Only the documented contract keys are read: ``command``, ``feasible``, ``lower_bound``,
``optimal``, ``placement`` (required: the target placement is rebuilt from it alone),
``freed_hosts``, ``migrations`` and, for an evacuation, ``evacuated``; of the other keys only a
migration's ``reason`` and ``temporary`` are used when present, so a plan from a newer vmplan still
reads. Every problem is collected with the line and column of the
key or value at fault (JSON syntax errors with the parser's position) and raised as one
:class:`~vmplan.problems.InputError`.

Live migration never crosses clusters: when the inventory names clusters, a VM placed on, or
moved to or from, a host of another cluster than its own (its host's today) is an error there.
"""

from __future__ import annotations

import bisect
import json
import math
import re
from collections.abc import Collection
from typing import Any

import numpy as np

from vmplan.inventory.clusters import shown
from vmplan.model import Command, Inventory, Move, MoveKind, Plan, Reason
from vmplan.problems import InputError, Level, Problem, did_you_mean

RULE = "plan"
#: The longest a migration can be said to take: about 31 years.
MAX_SECONDS = 1_000_000_000
#: Python's limit on the digits of one int conversion.
MAX_INT_DIGITS = 4300
COMMANDS = tuple(c.value for c in Command)
#: The largest host count an infeasible plan's lower bound may state.
MOST_HOSTS = 1_000_000_000

JsonPath = tuple[str | int, ...]


def format_path(path: JsonPath) -> str:
    """``("migrations", 3, "to")`` -> ``migrations[3].to``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


class _DuplicateKeys:
    """``object_pairs_hook`` that notices repeated keys (json keeps the last one silently)."""

    def __init__(self) -> None:
        self.seen = False

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(pairs)
        if len(out) != len(pairs):
            self.seen = True
        return out


class _Checker:
    def __init__(
        self, inv: Inventory, lenient: bool = False, only: Collection[int] | None = None
    ) -> None:
        self.inv = inv
        self.lenient = lenient  # unknown VMs are warnings, VMs left out stay where they are
        self.only = None if only is None else frozenset(int(v) for v in only)  # VMs read
        self.clusters = len({h.cluster for h in inv.hosts}) > 1
        self.errors: list[tuple[JsonPath, bool, str]] = []  # (path, at the key?, message)
        self.warnings: list[tuple[JsonPath, bool, str]] = []

    def _most_hosts(self, feasible: bool) -> int:
        """The largest lower bound a plan may state: a feasible plan uses at most every host;
        an infeasible one may say it needs more than there are (``pack --spare 1`` on a cluster
        of one host)."""
        return len(self.inv.hosts) if feasible else MOST_HOSTS

    def error(self, path: JsonPath, message: str, at_key: bool = False) -> None:
        self.errors.append((path, at_key, message))

    def skipped(self, value: Any) -> bool:
        """A VM of the inventory outside ``only``: what the plan says of it is not read."""
        index = self.inv.vm_index.get(value) if isinstance(value, str) else None
        return self.only is not None and index is not None and index not in self.only

    def same_cluster(self, path: JsonPath, vm: int, host: int, verb: str) -> None:
        """An error at ``path`` when ``host`` is in another cluster than ``vm``."""
        if not self.clusters:
            return
        home = self.inv.hosts[int(self.inv.current[vm])]
        there = self.inv.hosts[host]
        if there.cluster != home.cluster:
            self.error(
                path,
                f"'{self.inv.vms[vm].name}' is in {shown(home.cluster)} (on {home.name}), but "
                f"the plan {verb} {there.name}, in {shown(there.cluster)}: live migration never "
                "crosses clusters",
            )

    def host(self, path: JsonPath, value: Any) -> int | None:
        if not isinstance(value, str):
            self.error(path, f"expected a host name, got {_kind(value)}")
            return None
        index = self.inv.host_index.get(value)
        if index is None:
            hint = did_you_mean(value, self.inv.host_index)
            self.error(path, f"unknown host {value!r}{hint}; the inventory does not have it")
        return index

    def vm(self, path: JsonPath, value: Any, at_key: bool = False) -> int | None:
        if not isinstance(value, str):
            self.error(path, f"expected a VM name, got {_kind(value)}")
            return None
        index = self.inv.vm_index.get(value)
        if index is None and self.lenient:
            self.warnings.append((path, at_key, f"VM {value!r} is not in the inventory: ignored"))
        elif index is None:
            hint = did_you_mean(value, self.inv.vm_index)
            self.error(path, f"unknown VM {value!r}{hint}; the inventory does not have it", at_key)
        return index

    def hosts(self, doc: dict[str, Any], key: str) -> tuple[int, ...]:
        value = doc.get(key, [])
        if not isinstance(value, list):
            self.error((key,), f"expected a list of host names, got {_kind(value)}")
            return ()
        found = (self.host((key, i), name) for i, name in enumerate(value))
        return tuple(h for h in found if h is not None)

    def placement(self, doc: dict[str, Any]) -> np.ndarray[Any, np.dtype[np.int64]]:
        target = np.full(len(self.inv.vms), -1, dtype=np.int64)
        if "placement" not in doc:
            self.error((), "missing key 'placement' (the VM -> host map of the target placement)")
            return target
        placement = doc["placement"]
        if not isinstance(placement, dict):
            self.error(("placement",), f"expected an object of VM: host, got {_kind(placement)}")
            return target
        for name, host in placement.items():
            if self.skipped(name):
                continue
            vm = self.vm(("placement", name), name, at_key=True)
            h = self.host(("placement", name), host)
            if vm is not None and h is not None:
                target[vm] = h
                self.same_cluster(("placement", name), vm, h, "places it on")
        if self.lenient:  # a VM the plan does not name stays on its current host
            return np.where(target < 0, self.inv.current, target)
        if self.only is not None:  # a VM not read stays on its current host
            outside = np.ones(len(self.inv.vms), dtype=bool)
            outside[list(self.only)] = False
            target = np.where(outside, self.inv.current, target)
        missing = [v.name for v, t in zip(self.inv.vms, target, strict=True) if t < 0]
        missing = [name for name in missing if name not in placement]
        if missing:
            shown = ", ".join(repr(m) for m in missing[:5])
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            self.error(
                ("placement",),
                f"missing VM(s) {shown}{more}: a plan places every VM of the inventory "
                "(was it made from another inventory?)",
                at_key=True,
            )
        return target

    def moves(self, doc: dict[str, Any]) -> tuple[Move, ...]:
        value = doc.get("migrations", [])
        if not isinstance(value, list):
            self.error(("migrations",), f"expected a list of migrations, got {_kind(value)}")
            return ()
        out: list[Move] = []
        for i, item in enumerate(value):
            path: JsonPath = ("migrations", i)
            if not isinstance(item, dict):
                self.error(path, f"expected an object with wave, vm, from, to, got {_kind(item)}")
                continue
            if self.skipped(item.get("vm")):
                continue
            missing = [k for k in ("wave", "vm", "from", "to") if k not in item]
            if missing:
                self.error(path, f"missing key(s) {', '.join(missing)}")
                continue
            wave = item["wave"]
            if not _is_int(wave) or wave < 1:
                self.error((*path, "wave"), f"expected a wave number from 1, got {_shown(wave)}")
            elif wave > len(value):
                self.error(
                    (*path, "wave"),
                    f"expected a wave number up to {len(value):,} (the number of migrations), "
                    f"got {_shown(wave)}",
                )
                wave = 0
            seconds = item.get("seconds", 0.0)
            if not _is_number(seconds) or seconds < 0:
                self.error((*path, "seconds"), f"expected seconds >= 0, got {_shown(seconds)}")
            elif seconds > MAX_SECONDS:
                self.error(
                    (*path, "seconds"),
                    f"expected seconds up to {MAX_SECONDS:,}, got {_shown(seconds)}",
                )
                seconds = 0.0
            temporary = item.get("temporary", False)
            reason = item.get("reason", "")
            vm = self.vm((*path, "vm"), item["vm"])
            source = self.host((*path, "from"), item["from"])
            target = self.host((*path, "to"), item["to"])
            if vm is None or source is None or target is None or not _is_int(wave) or wave < 1:
                continue
            self.same_cluster((*path, "to"), vm, target, "moves it to")
            if self.inv.hosts[source].cluster != self.inv.hosts[target].cluster:
                self.same_cluster((*path, "from"), vm, source, "moves it from")
            secs = float(seconds) if _is_number(seconds) and seconds >= 0 else 0.0
            why = reason if isinstance(reason, str) else ""
            read = Reason.parse(why)
            if temporary is True and read.kind is not MoveKind.TEMPORARY:
                read = Reason(MoveKind.TEMPORARY, self.inv.hosts[source].name)
            out.append(Move(vm, source, target, int(wave), secs, read))
        return tuple(sorted(out, key=lambda m: m.wave))

    def scalars(self, doc: dict[str, Any]) -> tuple[str, bool, int | None, bool]:
        command = doc.get("command", "pack")
        if command not in COMMANDS:
            self.error(("command",), f"expected 'pack' or 'evacuate', got {command!r}")
            command = "pack"
        flags = {}
        for key, default in (("feasible", True), ("optimal", False)):
            flags[key] = doc.get(key, default)
            if not isinstance(flags[key], bool):
                self.error((key,), f"expected true or false, got {flags[key]!r}")
                flags[key] = default
        bound = doc.get("lower_bound")
        if bound is not None and (not _is_int(bound) or bound < 0):
            self.error(("lower_bound",), f"expected a host count or null, got {_shown(bound)}")
            bound = None
        elif bound is not None and bound > self._most_hosts(bool(flags["feasible"])):
            limit = self._most_hosts(bool(flags["feasible"]))
            why = "the inventory's hosts" if flags["feasible"] else "for an infeasible plan"
            self.error(
                ("lower_bound",),
                f"expected a host count up to {limit:,} ({why}), got {_shown(bound)}",
            )
            bound = None
        return str(command), bool(flags["feasible"]), bound, bool(flags["optimal"])


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    if isinstance(v, float):
        return math.isfinite(v)
    return _is_int(v)  # an int of any size (math.isfinite would overflow on a huge one)


def _shown(v: Any) -> str:
    """A value as a message quotes it (repr), a long one shortened."""
    text = repr(v)
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"


class _HugeInt(float):
    """A JSON integer too long for Python to convert (past 4,300 digits): an infinity that says
    what it was written as, so the checks report it as out of range at its position."""

    digits: int

    def __new__(cls, text: str) -> _HugeInt:
        self = super().__new__(cls, "-inf" if text.startswith("-") else "inf")
        self.digits = len(text.lstrip("-"))
        return self

    def __repr__(self) -> str:
        return f"an integer of {self.digits:,} digits"


def _parse_int(text: str) -> int | float:
    return _HugeInt(text) if len(text.lstrip("-")) > MAX_INT_DIGITS else int(text)


def _kind(v: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if v is None:
        return "null"
    return names.get(type(v), "a number") + (f" {v!r}" if isinstance(v, str | bool) else "")


def read_plan(
    text: str,
    file: str,
    inv: Inventory,
    *,
    warnings: list[Problem] | None = None,
    only: Collection[int] | None = None,
) -> Plan:
    """Parse and validate a plan against ``inv``; the plan's ``before`` is ``inv.current``.

    Raises :class:`InputError` listing every problem found. With a ``warnings`` list (a later
    inventory of the same fleet, as ``vmplan backtest`` reads), VMs of the plan that ``inv`` lacks
    are appended to it as warnings and skipped, and VMs of ``inv`` the plan does not name stay on
    their current host. With ``only`` (indices of VMs: the clusters ``--cluster`` chose), what
    the plan says of the other VMs of ``inv`` is not read, nor are they required: they stay on
    their current host and are no problem, whatever the plan says of them.
    """
    if text.lstrip()[:1] not in ("{", "[", ""):  # the YAML form (vmplan pack -f yaml)
        from vmplan.planyaml import read_yaml_plan

        return read_yaml_plan(text, file, inv, warnings=warnings, only=only)
    duplicates = _DuplicateKeys()
    try:
        doc = json.loads(text, object_pairs_hook=duplicates, parse_int=_parse_int)
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: {exc.msg} (expected the output of vmplan pack --format json)"
        raise InputError([Problem(file, exc.lineno, exc.colno, "", message, RULE)]) from None
    except (RecursionError, ValueError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise InputError(
            [Problem(file, 0, 0, "", f"cannot read the plan: {reason}", RULE)]
        ) from None
    if not isinstance(doc, dict):
        message = f"expected a JSON object (a plan of vmplan pack or evacuate), got {_kind(doc)}"
        raise InputError([Problem(file, 1, 1, "", message, RULE)])
    check = _Checker(inv, lenient=warnings is not None, only=only)
    command, feasible, bound, optimal = check.scalars(doc)
    target = check.placement(doc)
    moves = check.moves(doc)
    check.hosts(doc, "freed_hosts")
    evacuated = check.hosts(doc, "evacuated")
    if duplicates.seen or check.errors:
        raise InputError(_problems(text, file, check.errors))
    if warnings is not None and check.warnings:
        warnings += _problems(text, file, check.warnings, Level.WARNING)
    target.flags.writeable = False
    return Plan(
        command=Command(command),
        feasible=feasible,
        before=inv.current,
        target=target,
        moves=moves,
        lower_bound=bound,
        optimal=optimal,
        evacuated=evacuated,
    )


def located(text: str, file: str, errors: list[tuple[JsonPath, bool, str]]) -> list[Problem]:
    """Problems for ``(path, at the key?, message)`` errors found in a valid plan text, each at the
    line and column of that key or value (for checks made after :func:`read_plan`)."""
    return _problems(text, file, errors)


def _problems(
    text: str, file: str, errors: list[tuple[JsonPath, bool, str]], level: Level = Level.ERROR
) -> list[Problem]:
    keys, values, duplicates = locate(text)
    starts = [0, *(m.end() for m in re.finditer("\n", text))]

    def line_col(offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(starts, offset)
        return line, offset - starts[line - 1] + 1

    out = []
    for path, at_key, message in errors:
        offset = keys.get(path) if at_key else None
        offset = values.get(path, 0) if offset is None else offset
        out.append(Problem(file, *line_col(offset), format_path(path), message, RULE, level))
    if level is Level.WARNING:
        return out
    for path, offset in duplicates:
        message = f"duplicate key {path[-1]!r}: JSON readers disagree on which one wins"
        out.append(Problem(file, *line_col(offset), format_path(path), message, RULE))
    return out


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(r"[^\s,\]}]+")
_SPACE = re.compile(r"[ \t\n\r]*")


def _end(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """Where ``pattern`` matching at ``pos`` ends (the text is valid JSON: it always matches)."""
    found = pattern.match(text, pos)
    if found is None:
        raise AssertionError(f"{pattern.pattern!r} does not match at {pos} of valid JSON")
    return found.end()


def locate(
    text: str,
) -> tuple[dict[JsonPath, int], dict[JsonPath, int], list[tuple[JsonPath, int]]]:
    """Offsets of every key and value of a *valid* JSON text, by path; and repeated keys.

    An explicit stack instead of recursion, so that any nesting json.loads accepted is fine.
    """
    keys: dict[JsonPath, int] = {}
    values: dict[JsonPath, int] = {}
    duplicates: list[tuple[JsonPath, int]] = []
    # frame: [path, is_object, current key or index, keys seen, expecting a key]
    stack: list[list[Any]] = []
    pos = _end(_SPACE, text, 0)

    def value_path() -> JsonPath:
        if not stack:
            return ()
        frame = stack[-1]
        return (*frame[0], frame[2])

    while pos < len(text):
        c = text[pos]
        frame = stack[-1] if stack else None
        if c == '"':
            end = _end(_STRING, text, pos)
            if frame is not None and frame[1] and frame[4]:
                key = json.loads(text[pos:end])
                path = (*frame[0], key)
                if key in frame[3]:
                    duplicates.append((path, pos))
                frame[3].add(key)
                frame[2], frame[4] = key, False
                keys[path] = pos
            else:
                values[value_path()] = pos
            pos = end
        elif c in "{[":
            path = value_path()
            values[path] = pos
            stack.append([path, c == "{", 0, set(), c == "{"])
            pos += 1
        elif c in "}]":
            stack.pop()
            pos += 1
        elif c == ",":
            if frame is not None and frame[1]:
                frame[4] = True
            elif frame is not None:
                frame[2] += 1
            pos += 1
        elif c == ":":
            pos += 1
        else:
            values[value_path()] = pos
            pos = _end(_SCALAR, text, pos)
        pos = _end(_SPACE, text, pos)
    return keys, values, duplicates
