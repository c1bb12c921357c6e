"""``--ids FILE``: the numeric VM ids qm needs, as a YAML (or JSON) mapping of VM name to id.

```yaml
web01: 101
"db 01": 102
```
Every problem is reported with its line and column.
"""

from __future__ import annotations

from vmplan.inventory import yamlnodes as yn
from vmplan.problems import InputError, Position, Problem

RULE = "ids"
MAX_ID = 999_999_999  # Proxmox VE's largest VM id


def read_ids(text: str, file: str) -> dict[str, int]:
    """The mapping in ``text``; raises :class:`InputError` listing every problem."""
    try:
        root = yn.compose(text)
    except yn.YamlError as exc:
        raise InputError([Problem(file, exc.line, exc.column, "", exc.message, "syntax")]) from None
    if not isinstance(root, yn.Mapping):
        found = "nothing" if root is None else yn.kind_name(root)
        where = Position(file, 1, 1) if root is None else yn.position(file, root)
        message = f"expected a mapping of VM name to numeric id (web01: 101), got {found}"
        raise InputError([Problem.at(where, "", message, RULE)])
    out: dict[str, int] = {}
    problems: list[Problem] = []
    for key, value in root.items:
        if not isinstance(key, yn.Scalar):
            problems.append(
                Problem.at(yn.position(file, key), "", "expected a VM name as the key", RULE)
            )
            continue
        name = key.value
        number = yn.plain_value(value) if isinstance(value, yn.Scalar) and value.plain else None
        if not isinstance(number, int) or isinstance(number, bool) or not 1 <= number <= MAX_ID:
            shown = value.value if isinstance(value, yn.Scalar) else yn.kind_name(value)
            problems.append(
                Problem.at(
                    yn.position(file, value),
                    name,
                    f"expected a VM id from 1 to {MAX_ID}, got {shown!r}",
                    RULE,
                )
            )
        elif name in out:
            problems.append(
                Problem.at(yn.position(file, key), name, f"VM {name!r} is given twice", RULE)
            )
        else:
            out[name] = number
    if problems:
        raise InputError(problems)
    return out
