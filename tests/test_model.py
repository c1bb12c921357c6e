"""The model's small value types: reasons render from their kind and read back from their words."""

from __future__ import annotations

import pytest

from vmplan.model import MoveKind, Reason


@pytest.mark.parametrize("kind", list(MoveKind))
def test_every_reason_reads_back_from_its_own_words(kind: MoveKind) -> None:
    alone = {MoveKind.JOIN_AFFINITY, MoveKind.REPACK, MoveKind.REBALANCE}  # about no host
    reason = Reason(kind, "" if kind in alone else "esx04")
    assert Reason.parse(str(reason)) == reason


def test_words_this_vmplan_does_not_know_are_kept_as_they_are() -> None:
    assert Reason.parse("because the CFO said so") == Reason(
        MoveKind.OTHER, "because the CFO said so"
    )
    assert str(Reason.parse("free ")) == "free "  # no host named: not a FREE reason


def test_text_is_rendered_from_the_kind() -> None:
    assert str(Reason(MoveKind.MAKE_ROOM, "esx02")) == "make room on esx02"
    assert str(Reason(MoveKind.TEMPORARY, "esx02")) == "temporary stop, to make room on esx02"
    assert str(Reason(MoveKind.REPACK)) == "repack"
