"""The ``cluster`` key on hosts: a VM belongs to its host's cluster; rules may not span clusters."""

from __future__ import annotations

import pytest
from fleetgen import SMALL

from vmplan.inventory import load

FLEET = SMALL


def test_hosts_carry_their_cluster_and_no_key_is_the_unnamed_cluster(write):
    inv = load([write("f.yaml", FLEET)]).inventory
    assert [h.cluster for h in inv.hosts] == ["west", "west", "east"]
    plain = FLEET.replace(", cluster: west", "").replace(", cluster: east", "")
    assert {h.cluster for h in load([write("p.yaml", plain)]).inventory.hosts} == {""}


@pytest.mark.parametrize(
    ("rule", "column", "path", "message"),
    [
        (
            "{type: anti-affinity, vms: [w1, e1]}",
            37,
            "rules[0].vms[1]",
            "VM 'e1' is in cluster 'east', but 'w1' (vms[0]) is in cluster 'west'; "
            "a rule may not span clusters",
        ),
        (
            "{type: pin, vms: [w1], hosts: [a1, b1]}",
            40,
            "rules[0].hosts[1]",
            "host 'b1' is in cluster 'east', but the rule's VMs are in cluster 'west'; "
            "a VM is pinned only to hosts of its own cluster",
        ),
    ],
    ids=["rule-spans-clusters", "pin-to-another-cluster"],
)
def test_a_rule_across_clusters_is_an_error_at_the_stray_name(
    write, problems_of, rule, column, path, message
):
    file = write("f.yaml", FLEET + f"rules:\n  - {rule}\n")
    assert problems_of(file) == [(str(file), 11, column, path, message)]


def test_the_unnamed_cluster_is_named_in_words(write, problems_of):
    fleet = FLEET.replace(", cluster: east", "")
    path = write("f.yaml", fleet + "rules:\n  - {type: affinity, vms: [w1, e1]}\n")
    [(_, _, _, _, message)] = problems_of(path)
    assert message == (
        "VM 'e1' is in the unnamed cluster, but 'w1' (vms[0]) is in cluster 'west'; "
        "a rule may not span clusters"
    )


@pytest.mark.parametrize("value", ["[west]", "true", "''"])
def test_a_cluster_must_be_a_name(write, problems_of, value):
    path = write("f.yaml", FLEET.replace("cluster: east", f"cluster: {value}"))
    [(_, line, _, where, message)] = problems_of(path)
    assert (line, where) == (5, "hosts[2].cluster")
    assert message.startswith("expected a name, got")
