"""A small, hostile-input-proof YAML composer on top of PyYAML's (C) event parser.

PyYAML's own composer recurses (a deeply nested document crashes the interpreter) and leaves
aliases for the consumer to expand (a "billion laughs" document explodes there). This composer
builds plain node objects from the event stream with an explicit stack, refuses nesting deeper
than :data:`MAX_DEPTH`, and counts the size of every node *with aliases expanded*, refusing a
document that expands to more than :data:`EXPANSION_FACTOR` times its own size. A node costs about
240 bytes and 10 microseconds, so a document of more than :data:`MAX_EVENTS` parser events is
refused too: within the size limit, 250 MB of ``[0,0,0,...`` would otherwise take 30 GB.

No object is ever constructed from a tag: scalars stay strings and are typed by the schema layer
(:func:`plain_value`) by the rules stated in :mod:`vmplan.inventory.numbers`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NoReturn

import yaml
from yaml.reader import ReaderError

from vmplan.inventory import numbers
from vmplan.problems import Position

try:  # the C parser is an order of magnitude faster; the pure-Python one is the fallback
    from yaml import CSafeLoader as _Loader

    _BYTE_POSITIONS = True  # the C reader reports a bad character's offset in UTF-8 bytes
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

    _BYTE_POSITIONS = False

MAX_DEPTH = 32
EXPANSION_FACTOR = 4
EXPANSION_FLOOR = 100_000
#: About 500 MB and half a minute of composing: 10,000 VMs with inline-string series take 120,000
#: events, while a YAML list costs one event per sample (10,000 x 2,016 would be 20 million).
MAX_EVENTS = 2_000_000


@dataclass(slots=True, eq=False)
class Node:
    line: int  # 1-based
    column: int  # 1-based
    tag: str | None
    size: int = 1  # events in the subtree, aliases expanded


@dataclass(slots=True, eq=False)
class Scalar(Node):
    value: str = ""
    plain: bool = True  # unquoted: subject to implicit typing
    verbatim: bool = False  # written on one line exactly as ``value`` (plus quotes): offsets hold


@dataclass(slots=True, eq=False)
class Sequence(Node):
    items: list[Node] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Mapping(Node):
    items: list[tuple[Node, Node]] = field(default_factory=list)


class YamlError(Exception):
    """A document that is not acceptable YAML; carries a 1-based position."""

    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.message = message


def _mark(event: yaml.Event) -> tuple[int, int]:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)


def _verbatim(event: yaml.ScalarEvent) -> bool:
    """Whether the scalar's source is its value on one line (no folding, escapes or block)."""
    start, end = event.start_mark, event.end_mark
    if (
        start is None
        or end is None
        or start.line != end.line
        or event.style not in (None, "'", '"')
    ):
        return False
    quotes = 2 if event.style else 0
    return end.column - start.column == len(event.value) + quotes


def _reader_position(text: str, exc: ReaderError) -> tuple[int, int]:
    """1-based line and column of a bad character."""
    offset = exc.position
    if _BYTE_POSITIONS:
        offset = len(text.encode("utf-8")[: exc.position].decode("utf-8", "ignore"))
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def compose(text: str) -> Node | None:
    """The first document of ``text`` as a node tree, ``None`` for an empty stream.

    Raises :class:`YamlError` for syntax errors, excessive nesting or alias expansion, and for a
    stream of several documents.
    """
    composer = _Composer()
    loader: _Loader | None = None
    try:
        loader = _Loader(text)
        composer.run(loader)
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(text, exc) from None
    except ReaderError as exc:  # a character YAML does not allow, e.g. a control one
        line, col = _reader_position(text, exc)
        char = f"#x{exc.character:04x}" if isinstance(exc.character, int) else repr(exc.character)
        raise YamlError(
            line, col, f"invalid YAML: unacceptable character {char}: {exc.reason}"
        ) from None
    except yaml.YAMLError as exc:  # pragma: no cover - every other parser error is marked
        raise YamlError(0, 0, f"invalid YAML: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return composer.root


class _Composer:
    """Nodes from parser events, with an explicit stack (no recursion) and the limits."""

    def __init__(self) -> None:
        self.stack: list[Sequence | Mapping] = []
        self.pending_key: list[Node | None] = []
        self.anchors: dict[str, Node] = {}
        self.root: Node | None = None
        self.events = 0
        self.documents = 0

    def run(self, loader: _Loader) -> None:
        # one pass per event over a 10,000-VM inventory: plain local names, one type test per event
        scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
        seq_start, map_start = yaml.SequenceStartEvent, yaml.MappingStartEvent
        seq_end, map_end = yaml.SequenceEndEvent, yaml.MappingEndEvent
        doc_start, stream_end = yaml.DocumentStartEvent, yaml.StreamEndEvent
        get_event = loader.get_event
        while True:
            event: Any = get_event()  # narrowed by the type tests below
            kind = type(event)
            if kind is stream_end:
                return
            self.events += 1
            if self.events > MAX_EVENTS:
                self.too_many(event)
            if kind is scalar_event:
                self.scalar(event)
            elif kind is seq_start or kind is map_start:
                self.begin(event, kind is seq_start)
            elif kind is seq_end or kind is map_end:
                self.end()
            elif kind is alias_event:
                self.alias(event)
            elif kind is doc_start:
                self.document(event)

    def attach(self, node: Node) -> None:
        stack = self.stack
        if not stack:
            self.root = node
            return
        parent = stack[-1]
        if type(parent) is Sequence:
            parent.items.append(node)
        elif self.pending_key[-1] is None:
            self.pending_key[-1] = node
        else:
            key = self.pending_key[-1]
            assert key is not None and type(parent) is Mapping
            parent.items.append((key, node))
            self.pending_key[-1] = None

    def too_many(self, event: yaml.Event) -> NoReturn:
        line, col = _mark(event)
        raise YamlError(
            line,
            col,
            f"more than {MAX_EVENTS:,} YAML nodes; write long CPU series as strings "
            '(cpu: "12 15 40 ...") or in a cpu_series CSV',
        )

    def scalar(self, event: Any) -> None:
        mark = event.start_mark
        tag = None if event.tag in (None, "!") else event.tag
        value = event.value
        style = event.style
        # a plain scalar without a space or line break cannot be folded: skip the marks
        verbatim = _verbatim(event) if style or " " in value or "\n" in value else True
        node = Scalar(
            mark.line + 1,
            mark.column + 1,
            tag,
            1,
            value,
            bool(event.implicit[0]) and not style,
            verbatim,
        )
        if event.anchor:
            self.anchors[event.anchor] = node
        self.attach(node)

    def begin(self, event: Any, sequence: bool) -> None:
        line, col = _mark(event)
        if len(self.stack) >= MAX_DEPTH:
            raise YamlError(line, col, f"nesting deeper than {MAX_DEPTH} levels")
        tag = None if event.tag in (None, "!") else event.tag
        coll: Sequence | Mapping = Sequence(line, col, tag) if sequence else Mapping(line, col, tag)
        if event.anchor:
            self.anchors[event.anchor] = coll
        self.stack.append(coll)
        self.pending_key.append(None)

    def end(self) -> None:
        done = self.stack.pop()
        self.pending_key.pop()
        if type(done) is Sequence:
            done.size = 1 + sum([n.size for n in done.items])
        else:
            assert type(done) is Mapping
            done.size = 1 + sum([k.size + v.size for k, v in done.items])
        limit = max(EXPANSION_FLOOR, EXPANSION_FACTOR * self.events)
        if done.size > limit:
            raise YamlError(
                done.line,
                done.column,
                "aliases expand this node to more than "
                f"{limit:,} nodes; refusing a document that expands like a "
                "'billion laughs' attack",
            )
        self.attach(done)

    def alias(self, event: Any) -> None:
        line, col = _mark(event)
        target = self.anchors.get(event.anchor or "")
        if target is None:  # the C parser leaves undefined aliases to the composer
            raise YamlError(line, col, f"unknown alias '*{event.anchor}'")
        self.attach(target)

    def document(self, event: Any) -> None:
        self.documents += 1
        if self.documents > 1:
            line, col = _mark(event)
            raise YamlError(line, col, "expected one YAML document, found a second one ('---')")


def _syntax_error(text: str, exc: yaml.MarkedYAMLError) -> YamlError:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
    message = " ".join(s for s in (exc.context, exc.problem) if s)
    begun = exc.context_mark
    if exc.context and exc.problem and begun is not None and begun.line + 1 != line:
        # the problem shows where the parser gave up; say where the unfinished part began
        where = f"at line {begun.line + 1}, column {begun.column + 1}"
        message = f"{exc.problem} ({exc.context} {where})"
    if mark is not None and text[mark.index : mark.index + 1] == "\t":
        message += "; YAML indents with spaces, not tabs"
    elif mark is not None and "flow" not in message:  # in [...] and {...} indentation is free
        message += _indent_hint(text, mark.line)
    return YamlError(line, col, f"invalid YAML: {message}")


def _indent_hint(text: str, index: int) -> str:
    """When the line the parser gave up on is indented differently from the line before it (say
    3 spaces under 2 or 4), the usual cause: say which columns they start in."""
    lines = text.split("\n", index + 1)[: index + 1]
    if len(lines) <= index:
        return ""
    here = lines[index]
    before = next(
        (
            k
            for k in range(index - 1, -1, -1)
            if lines[k].strip() and not lines[k].lstrip().startswith("#")
        ),
        None,
    )
    if before is None or not here.strip():
        return ""
    a = len(here) - len(here.lstrip(" "))
    b = len(lines[before]) - len(lines[before].lstrip(" "))
    if a == b:
        return ""
    return (
        f"; check the indentation: line {index + 1} starts in column {a + 1}, line {before + 1} "
        f"in column {b + 1} (the keys of one mapping, and the items of one list, line up)"
    )


def position(file: str, node: Node) -> Position:
    return Position(file, node.line, node.column)


_NULL = re.compile(r"~|null|Null|NULL|")
_BOOL = re.compile(r"yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF")
PlainValue = str | int | float | bool | None


# the first characters that null, boolean and number patterns can start with ('' is null)
_WORD_START = frozenset(["", "~", "n", "N", "y", "Y", "t", "T", "f", "F", "o", "O"])
_NUMBER_START = frozenset("0123456789+-.")


def plain_value(node: Scalar) -> PlainValue:
    """The typed value of a scalar: quoted and tagged scalars are strings, plain ones follow the
    rules of :mod:`vmplan.inventory.numbers` (null, booleans, integers, floats, else text)."""
    if node.tag is not None or not node.plain:
        return node.value  # other tags are reported by the schema layer, never constructed
    v = node.value
    first = v[:1]
    if first in _WORD_START:  # a null or a boolean, or just text
        if _NULL.fullmatch(v):
            return None
        if _BOOL.fullmatch(v):
            return v.lower() in ("yes", "true", "on")
        return v
    if first not in _NUMBER_START:  # most names: no pattern can match
        return v
    number = numbers.plain_number(v)
    return v if number is None else number


def kind_name(node: Node) -> str:
    """How a node reads to a user: 'a mapping', 'a list', or the scalar's repr."""
    if isinstance(node, Mapping):
        return "a mapping"
    if isinstance(node, Sequence):
        return "a list"
    assert isinstance(node, Scalar)
    value = plain_value(node)
    if value is None:
        return "nothing (null)"
    text = node.value if len(node.value) <= 40 else node.value[:37] + "..."
    return repr(text) if isinstance(value, str) else text
