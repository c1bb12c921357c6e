"""One test per kind of bad input: file, line, column, path and message of every problem.

The inventories are real files under tests/data/bad/ (read with tests/data as the working
directory, so file names read as users would write them).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from vmplan.inventory import load
from vmplan.problems import InputError, Level

pytestmark = pytest.mark.usefixtures("in_data")

UNITS = "KiB, MiB, GiB, TiB, KB, MB, GB, TB"
TOP = "version, interval, start, limits, hosts, vms, rules, cpu_series"
RANGE = "expected a value from 0 to 100 (% of the VM's vCPUs), got"
NOT_FINITE = "expected a number from 0 to 100 (% of the VM's vCPUs), got"


def test_yaml_syntax_error_points_where_the_parser_stops_and_where_the_node_began(problems_of):
    assert problems_of("bad/syntax.yaml") == [
        (
            "bad/syntax.yaml",
            4,
            4,
            "",
            "invalid YAML: did not find expected ',' or '}' "
            "(while parsing a flow mapping at line 3, column 5)",
        )
    ]


def test_tab_indentation_is_named(problems_of, write):
    path = write("tabs.yaml", "version: 1\nhosts:\n\t- {name: esx01}\n")
    assert problems_of(path) == [
        (
            str(path),
            3,
            1,
            "",
            "invalid YAML: while scanning for the next token found character that cannot start "
            "any token; YAML indents with spaces, not tabs",
        )
    ]


def test_a_character_yaml_forbids_has_its_line_and_column(problems_of):
    assert problems_of("bad/bad-character.yaml") == [
        (
            "bad/bad-character.yaml",
            3,
            15,
            "",
            "invalid YAML: unacceptable character #x0001: control characters are not allowed",
        )
    ]


def test_bad_character_column_counts_characters_not_bytes(problems_of, write):
    path = write("accents.yaml", 'version: 1\n# été\nhosts: [{name: "é\x07"}]\n')
    assert [p[1:3] for p in problems_of(path)] == [(3, 18)]


def test_wrong_top_level_shape(problems_of):
    assert problems_of("bad/top-level-list.yaml") == [
        (
            "bad/top-level-list.yaml",
            1,
            1,
            "",
            f"expected a mapping with keys {TOP}, got a list",
        )
    ]


def test_a_scalar_document_is_the_wrong_shape_too(problems_of, write):
    path = write("scalar.yaml", "just some words\n")
    assert problems_of(path) == [
        (str(path), 1, 1, "", f"expected a mapping with keys {TOP}, got 'just some words'")
    ]


def test_unknown_keys_offer_the_closest_valid_key(problems_of):
    assert problems_of("bad/unknown-keys.yaml") == [
        (
            "bad/unknown-keys.yaml",
            5,
            5,
            "hosts[0].memroy",
            "unknown key 'memroy' (did you mean 'memory'?); "
            "expected one of name, cpus, memory, maintenance, limits, cluster, prefer",
        ),
        (
            "bad/unknown-keys.yaml",
            8,
            72,
            "vms[0].colour",
            "unknown key 'colour'; expected one of name, host, vcpus, memory, cpu",
        ),
        (
            "bad/unknown-keys.yaml",
            9,
            1,
            "rule",
            f"unknown key 'rule' (did you mean 'rules'?); expected one of {TOP}",
        ),
    ]


def test_missing_required_keys_point_at_the_entry(problems_of):
    assert problems_of("bad/missing-keys.yaml") == [
        ("bad/missing-keys.yaml", 1, 1, "", "missing required key 'version'"),
        ("bad/missing-keys.yaml", 2, 5, "hosts[0]", "missing required key 'cpus'"),
        ("bad/missing-keys.yaml", 5, 5, "vms[0]", "missing required key 'host'"),
        ("bad/missing-keys.yaml", 7, 5, "rules[0]", "missing required key 'type'"),
    ]


def test_a_key_given_twice(problems_of, write):
    path = write(
        "twice.yaml",
        """
        version: 1
        hosts:
          - {name: esx01, cpus: 32, cpus: 16, memory: 512GiB}
        """,
    )
    assert problems_of(path) == [(str(path), 3, 29, "hosts[0].cpus", "key 'cpus' given twice")]


def test_wrong_types_say_what_was_expected_and_what_was_found(problems_of):
    f = "bad/wrong-types.yaml"
    assert problems_of(f) == [
        (
            f,
            2,
            11,
            "interval",
            "expected a duration with a unit (s, m, h, d), e.g. '5m', got '300'",
        ),
        (
            f,
            3,
            8,
            "start",
            "expected a time like '2026-11-02T00:00:00Z' (ISO 8601), got 'yesterday'",
        ),
        (f, 4, 15, "limits.cpu", "expected a percentage like '80%', got '0.8'"),
        (f, 6, 25, "hosts[0].cpus", "expected a number of cores, got 'sixteen'"),
        (f, 6, 63, "hosts[0].maintenance", "expected true or false, got 'maybe'"),
        (f, 7, 12, "hosts[1].name", "expected a name, got a list"),
        (f, 9, 39, "vms[0].vcpus", "expected a whole number of vCPUs, got 2.5"),
        (
            f,
            9,
            64,
            "vms[0].cpu",
            "expected a list of numbers or a string of space-separated numbers, got 42",
        ),
        (
            f,
            10,
            62,
            "vms[1].cpu",
            "expected a list of numbers or a string of space-separated numbers, got a mapping",
        ),
        (f, 11, 8, "rules", "expected a list of rules, got a mapping"),
    ]


def test_yaml_tags_are_refused_not_constructed(problems_of, write):
    path = write(
        "tags.yaml",
        """
        version: !!python/object/apply:os.system [echo hi]
        hosts: !!binary aGVsbG8=
        """,
    )
    assert problems_of(path) == [
        (str(path), 1, 10, "version", "expected the format version 1, got a list"),
        (
            str(path),
            2,
            8,
            "hosts",
            "expected a list of hosts, got 'aGVsbG8='",
        ),
    ]


def test_non_positive_sizes(problems_of):
    f = "bad/non-positive.yaml"
    assert problems_of(f) == [
        (f, 3, 25, "hosts[0].cpus", "expected a number of cores greater than 0, got 0"),
        (f, 4, 25, "hosts[1].cpus", "expected a number of cores greater than 0, got -8"),
        (f, 4, 37, "hosts[1].memory", "expected a size greater than zero, got '0GiB'"),
        (f, 6, 39, "vms[0].vcpus", "expected a number of vCPUs greater than 0, got 0"),
    ]


def test_bad_units_name_the_units(problems_of):
    f = "bad/bad-units.yaml"
    assert problems_of(f) == [
        (
            f,
            2,
            11,
            "interval",
            "expected a duration with a unit (s, m, h, d), e.g. '5m', got '5 minutes'",
        ),
        (f, 3, 15, "limits.cpu", "expected a percentage like '80%', got '80'"),
        (
            f,
            3,
            27,
            "limits.memory",
            "expected a percentage above 0% and at most 100%, got '101%'",
        ),
        (
            f,
            5,
            37,
            "hosts[0].memory",
            f"expected a size with a unit ({UNITS}), e.g. '16GiB', got '512'",
        ),
        (
            f,
            6,
            37,
            "hosts[1].memory",
            f"unknown size unit 'Gb' (did you mean 'GB'?); expected one of {UNITS}",
        ),
        (f, 7, 37, "hosts[2].memory", f"unknown size unit 'parsecs'; expected one of {UNITS}"),
    ]


def test_series_values_out_of_range_or_not_numbers(problems_of):
    f = "bad/series-values.yaml"
    assert problems_of(f) == [
        (f, 9, 15, "vms[0].cpu[1]", f"{RANGE} 101"),
        (f, 9, 20, "vms[0].cpu[2]", f"{RANGE} -1"),
        (f, 9, 24, "vms[0].cpu[3]", f"{NOT_FINITE} NaN; use null for a missing sample"),
        (f, 9, 30, "vms[0].cpu[4]", f"{NOT_FINITE} infinity"),
        (f, 9, 36, "vms[0].cpu[5]", "expected a number from 0 to 100, got 'busy'"),
        (f, 9, 42, "vms[0].cpu[6]", "expected a number from 0 to 100, got '50'"),
        (f, 9, 48, "vms[0].cpu[7]", "expected a number from 0 to 100, got true"),
        # in a string, every token has its own column
        (f, 14, 14, "vms[1].cpu[1]", f"{RANGE} 101"),
        (f, 14, 18, "vms[1].cpu[2]", f"{RANGE} -1"),
        (f, 14, 21, "vms[1].cpu[3]", f"{NOT_FINITE} NaN; use null for a missing sample"),
        (f, 14, 25, "vms[1].cpu[4]", f"{NOT_FINITE} infinity"),
        (f, 14, 29, "vms[1].cpu[5]", "expected a number from 0 to 100, got 'busy'"),
    ]


def test_series_tokens_of_a_folded_or_escaped_string_point_at_the_string(problems_of, write):
    # the column of a token is only known when the string is written verbatim on one line
    path = write(
        "folded.yaml",
        """
        version: 1
        hosts: [{name: esx01, cpus: 32, memory: 512GiB}]
        vms:
          - name: web01
            host: esx01
            vcpus: 4
            memory: 16GiB
            cpu: "10 20
              30 x"
          - name: web02
            host: esx01
            vcpus: 4
            memory: 16GiB
            cpu: |
              10 20
              30 y
          - name: web03
            host: esx01
            vcpus: 4
            memory: 16GiB
            cpu: "10 \\x32 z 40"
        """,
    )
    assert problems_of(path) == [
        (str(path), 8, 10, "vms[0].cpu[3]", "expected a number from 0 to 100, got 'x'"),
        (str(path), 14, 10, "vms[1].cpu[3]", "expected a number from 0 to 100, got 'y'"),
        (str(path), 21, 10, "vms[2].cpu[2]", "expected a number from 0 to 100, got 'z'"),
    ]


def test_empty_series(problems_of, write):
    path = write(
        "empty-series.yaml",
        """
        version: 1
        hosts: [{name: esx01, cpus: 32, memory: 512GiB}]
        vms:
          - {name: web01, host: esx01, vcpus: 4, memory: 16GiB, cpu: []}
          - {name: web02, host: esx01, vcpus: 4, memory: 16GiB, cpu: ""}
        """,
    )
    message = "expected at least one sample, got an empty series"
    assert problems_of(path) == [
        (str(path), 4, 62, "vms[0].cpu", message),
        (str(path), 5, 62, "vms[1].cpu", message),
    ]


def test_series_of_unequal_length_are_measured_against_the_most_common_length(problems_of):
    f = "bad/series-length.yaml"
    assert problems_of(f) == [
        (f, 7, 62, "vms[2].cpu", "expected 3 samples like the other series, got 2"),
        (f, 8, 62, "vms[3].cpu", "expected 3 samples like the other series, got 4"),
    ]


def test_duplicate_names_point_at_the_second_definition(problems_of):
    f = "bad/duplicate-names.yaml"
    assert problems_of(f) == [
        (f, 4, 12, "hosts[1].name", f"duplicate host name 'esx01' (first defined at {f}:3)"),
        (f, 7, 12, "vms[1].name", f"duplicate VM name 'web01' (first defined at {f}:6)"),
    ]


def test_unknown_hosts_and_vms_in_host_and_rules(problems_of):
    f = "bad/unknown-references.yaml"
    assert problems_of(f) == [
        (f, 7, 25, "vms[1].host", "unknown host 'esx03' (did you mean 'esx02'?)"),
        (f, 9, 40, "rules[0].vms[1]", "unknown VM 'web20' (did you mean 'web02'?)"),
        (f, 10, 46, "rules[1].hosts[1]", "unknown host 'esx9' (did you mean 'esx02'?)"),
    ]


def test_references_to_an_invalid_entry_are_not_reported_twice(problems_of, write):
    path = write(
        "broken-host.yaml",
        """
        version: 1
        hosts: [{name: esx01, cpus: many, memory: 512GiB}]
        vms:
          - {name: web01, host: esx01, vcpus: 4, memory: 16GiB, cpu: [10]}
        rules:
          - {type: pin, vms: [web01], hosts: [esx01]}
        """,
    )
    assert problems_of(path) == [
        (str(path), 2, 29, "hosts[0].cpus", "expected a number of cores, got 'many'")
    ]


def test_unknown_rule_types(problems_of):
    f = "bad/unknown-rule-type.yaml"
    expected = "expected one of anti-affinity, affinity, pin"
    assert problems_of(f) == [
        (
            f,
            8,
            12,
            "rules[0].type",
            f"unknown rule type 'antiaffinity' (did you mean 'anti-affinity'?); {expected}",
        ),
        (f, 9, 12, "rules[1].type", f"unknown rule type 'spread'; {expected}"),
    ]


def test_rules_with_the_wrong_members(problems_of, write):
    path = write(
        "rule-shape.yaml",
        """
        version: 1
        hosts: [{name: esx01, cpus: 32, memory: 512GiB}]
        vms:
          - {name: web01, host: esx01, vcpus: 4, memory: 16GiB, cpu: [10]}
        rules:
          - {type: affinity, vms: [web01]}
          - {type: pin, vms: [web01]}
          - {type: anti-affinity, vms: [web01, web01], hosts: [esx01]}
          - {type: pin, vms: [], hosts: [esx01]}
        """,
    )
    f = str(path)
    assert problems_of(path) == [
        (f, 6, 27, "rules[0].vms", "an affinity rule needs at least two VMs, got 1"),
        (
            f,
            7,
            5,
            "rules[1]",
            "missing required key 'hosts' (a pin rule names the hosts its VMs may use)",
        ),
        (f, 8, 40, "rules[2].vms[1]", "'web01' is listed twice"),
        (f, 8, 48, "rules[2].hosts", "'hosts' belongs to pin rules, not to anti-affinity"),
        (f, 9, 22, "rules[3].vms", "expected a non-empty list of names, got a list"),
    ]


def test_unsupported_version(problems_of):
    assert problems_of("bad/unsupported-version.yaml") == [
        (
            "bad/unsupported-version.yaml",
            1,
            10,
            "version",
            "unsupported version 2; this vmplan reads version 1",
        )
    ]


def test_a_missing_file(problems_of):
    assert problems_of("bad/no-such-inventory.yaml") == [
        ("bad/no-such-inventory.yaml", 0, 0, "", "no such file")
    ]


def test_a_directory_is_not_an_inventory(problems_of):
    assert problems_of("bad") == [("bad", 0, 0, "", "expected an inventory file, got a directory")]


def test_an_unreadable_file(problems_of):
    # a path through a regular file cannot be opened, whoever runs the test (even root)
    assert problems_of("bad/empty.yaml/inventory.yaml") == [
        ("bad/empty.yaml/inventory.yaml", 0, 0, "", "cannot read the file: Not a directory")
    ]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_a_file_without_read_permission(problems_of, write):
    path = write("secret.yaml", "version: 1\n")
    path.chmod(0)
    assert problems_of(path) == [(str(path), 0, 0, "", "cannot read the file: Permission denied")]


def test_a_cpu_series_file_that_is_missing_is_reported_on_the_key(problems_of):
    f = "bad/csv-missing-file.yaml"
    assert problems_of(f) == [
        (
            f,
            2,
            13,
            "cpu_series",
            "metrics/cpu.csv: cannot read the CPU series file: No such file or directory",
        )
    ]


def test_a_cpu_series_file_without_a_vms_column(problems_of):
    f = "bad/missing-column.yaml"
    assert problems_of(f) == [
        (
            f,
            7,
            12,
            "vms[1].cpu",
            "VM 'web02' has no inline 'cpu' and missing-column.csv has no column 'web02' "
            "(did you mean 'web002'?)",
        )
    ]


def test_bad_cells_of_a_cpu_series_file(problems_of):
    f = str(Path("bad/csv-cells.csv"))
    assert problems_of("bad/csv-cells.yaml") == [
        (f, 2, 25, "rows[1][2]", "expected a number from 0 to 100 or an empty cell, got 'busy'"),
        (f, 3, 22, "rows[2][1]", f"{RANGE} 101"),
        (f, 4, 1, "rows[3]", "expected 3 cells like the header, got 2"),
        (f, 5, 22, "rows[4][1]", f"{NOT_FINITE} NaN; leave the cell empty for a missing sample"),
        (f, 5, 26, "rows[4][2]", f"{NOT_FINITE} infinity"),
    ]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("1_0", "expected a number from 0 to 100 or an empty cell, got '1_0'"),
        ("\u0661", "expected a number from 0 to 100 or an empty cell, got '\u0661'"),
        ("nan", f"{NOT_FINITE} NaN; leave the cell empty for a missing sample"),
        ("+inf", f"{NOT_FINITE} infinity"),
    ],
)
def test_csv_cells_that_python_or_numpy_would_accept_are_still_refused(
    problems_of, write, cell, message
):
    # numpy refuses these where Python's float() would take some: none may pass silently
    write("cpu.csv", f"timestamp,web01,web02\nt0,{cell},4\nt1,1,2\n")
    path = write(
        "inv.yaml",
        """
        version: 1
        cpu_series: cpu.csv
        hosts: [{name: esx01, cpus: 32, memory: 512GiB}]
        vms:
          - {name: web01, host: esx01, vcpus: 4, memory: 16GiB}
          - {name: web02, host: esx01, vcpus: 4, memory: 16GiB}
        """,
    )
    assert problems_of(path) == [(str(path.parent / "cpu.csv"), 2, 4, "rows[1][1]", message)]


def test_a_csv_cell_of_spaces_is_a_missing_sample_not_a_silent_loss(write):
    write("cpu.csv", "timestamp,web01,web02\nt0, ,40\nt1,10,20\nt2,30,20\n")
    path = write(
        "inv.yaml",
        """
        version: 1
        cpu_series: cpu.csv
        hosts: [{name: esx01, cpus: 32, memory: 512GiB}]
        vms:
          - {name: web01, host: esx01, vcpus: 4, memory: 16GiB}
          - {name: web02, host: esx01, vcpus: 2, memory: 16GiB}
          - {name: web03, host: esx01, vcpus: 1, memory: 16GiB, cpu: [1, 2, 3]}
        """,
    )
    loaded = load([path])
    np.testing.assert_allclose(
        loaded.inventory.demand,
        [[30 / 100 * 4, 10 / 100 * 4, 30 / 100 * 4], [0.8, 0.4, 0.4], [0.01, 0.02, 0.03]],
    )
    assert [(w.path, w.message) for w in loaded.warnings] == [
        ("vms[0].cpu", "1 missing sample(s) filled with its peak 30%")
    ]


def test_a_cpu_series_file_with_a_bad_header_or_no_rows(problems_of, write):
    inv = """
        version: 1
        cpu_series: {csv}
        hosts: [{{name: esx01, cpus: 32, memory: 512GiB}}]
        vms: [{{name: web01, host: esx01, vcpus: 4, memory: 16GiB}}]
        """
    write("noheader.csv", "web01\n10\n")
    write("norows.csv", "timestamp,web01\n")
    a = write("a.yaml", inv.format(csv="noheader.csv"))
    b = write("b.yaml", inv.format(csv="norows.csv"))
    assert problems_of(a) == [
        (
            str(a),
            2,
            13,
            "cpu_series",
            "noheader.csv: expected a header row 'timestamp,<vm name>,<vm name>,...', found a "
            "first line without commas (is it a CSV file?)",
        )
    ]
    assert problems_of(b) == [
        (
            str(b.parent / "norows.csv"),
            1,
            1,
            "",
            "expected rows of samples after the header, found none",
        )
    ]


def test_a_vm_without_any_series(problems_of, write):
    path = write(
        "no-series.yaml",
        """
        version: 1
        hosts: [{name: esx01, cpus: 32, memory: 512GiB}]
        vms: [{name: web01, host: esx01, vcpus: 4, memory: 16GiB}]
        """,
    )
    assert problems_of(path) == [
        (
            str(path),
            3,
            14,
            "vms[0].cpu",
            "VM 'web01' has no 'cpu' series and the file names no cpu_series CSV",
        )
    ]


@pytest.mark.parametrize("name", ["bad/empty.yaml", "bad/comments-only.yaml"])
def test_an_empty_file(problems_of, name):
    assert problems_of(name) == [
        (name, 1, 1, "", "the file is empty; expected an inventory with 'version: 1'")
    ]


def test_an_inventory_without_hosts(problems_of, write):
    path = write("no-hosts.yaml", "version: 1\nhosts:\n")
    assert problems_of(path) == [
        (str(path), 1, 1, "hosts", "expected at least one host, found none")
    ]


def test_several_documents(problems_of, write):
    path = write("two.yaml", "version: 1\n---\nversion: 1\n")
    assert problems_of(path) == [
        (str(path), 2, 1, "", "expected one YAML document, found a second one ('---')")
    ]


def test_every_problem_of_a_file_is_reported(problems_of):
    f = "bad/several.yaml"
    assert problems_of(f) == [
        (f, 5, 25, "hosts[1].cpus", "expected a number of cores, got 'sixteen'"),
        (
            f,
            6,
            37,
            "hosts[2].memory",
            f"expected a size with a unit ({UNITS}), e.g. '16GiB', got '512'",
        ),
        (f, 8, 71, "vms[0].cpu[2]", f"{RANGE} 300"),
        (f, 9, 5, "vms[1]", "missing required key 'memory'"),
        (
            f,
            9,
            42,
            "vms[1].memroy",
            "unknown key 'memroy' (did you mean 'memory'?); "
            "expected one of name, host, vcpus, memory, cpu",
        ),
        (
            f,
            11,
            12,
            "rules[0].type",
            "unknown rule type 'pinned' (did you mean 'pin'?); "
            "expected one of anti-affinity, affinity, pin",
        ),
    ]


def test_problems_of_every_file_are_collected(problems_of):
    found = problems_of("bad/empty.yaml", "bad/unsupported-version.yaml", "bad/missing.yaml")
    assert [(p[0], p[4]) for p in found] == [
        ("bad/empty.yaml", "the file is empty; expected an inventory with 'version: 1'"),
        ("bad/missing.yaml", "no such file"),
        ("bad/unsupported-version.yaml", "unsupported version 2; this vmplan reads version 1"),
    ]


def test_the_rendered_form_is_file_line_column_level_path_message():
    with pytest.raises(InputError) as info:
        load(["bad/non-positive.yaml"])
    assert str(info.value).splitlines()[0] == (
        "bad/non-positive.yaml:3:25: error: hosts[0].cpus: "
        "expected a number of cores greater than 0, got 0"
    )
    assert {p.level for p in info.value.problems} == {Level.ERROR}


# --- several files ---------------------------------------------------------------------------


def test_hosts_and_vms_in_separate_files_merge():
    loaded = load(["good/hosts.yaml", "good/vms.yaml"])
    inv = loaded.inventory
    assert [h.name for h in inv.hosts] == ["esx01", "esx02", "esx03"]
    assert [v.name for v in inv.vms] == ["web01", "web02", "db01", "db02"]
    assert [r.kind.value for r in inv.rules] == ["anti-affinity"]
    assert inv.files == ("good/hosts.yaml", "good/vms.yaml")
    assert [h.cpu_limit for h in inv.hosts] == [0.8, 0.8, 0.7]  # limits from hosts.yaml
    assert inv.interval_s == 300
    assert inv.vms[0].where.file == "good/vms.yaml"
    assert loaded.warnings == ()


def test_a_name_defined_again_in_another_file_points_at_the_second(problems_of):
    assert problems_of("good/hosts.yaml", "good/vms.yaml", "bad/merge-duplicates.yaml") == [
        (
            "bad/merge-duplicates.yaml",
            4,
            12,
            "hosts[0].name",
            "duplicate host name 'esx02' (first defined at good/hosts.yaml:7)",
        ),
        (
            "bad/merge-duplicates.yaml",
            7,
            12,
            "vms[0].name",
            "duplicate VM name 'db01' (first defined at good/vms.yaml:11)",
        ),
    ]


def test_merged_files_must_agree_on_settings(problems_of, write):
    a = write("a.yaml", "version: 1\ninterval: 5m\nlimits: {cpu: 80%}\n")
    b = write(
        "b.yaml",
        """
        version: 1
        interval: 1m
        limits: {cpu: 70%}
        hosts: [{name: esx01, cpus: 32, memory: 512GiB}]
        vms: [{name: web01, host: esx01, vcpus: 4, memory: 16GiB, cpu: [10]}]
        """,
    )
    assert problems_of(a, b) == [
        (str(b), 2, 11, "interval", f"differs from {a}:2 (300); merged files must agree"),
        (str(b), 3, 15, "limits.cpu", f"differs from {a}:3; merged files must agree"),
    ]


# --- missing samples and the three ways to write a series ------------------------------------


def test_missing_samples_are_filled_with_the_vms_peak_and_warned(write):
    path = write(
        "gaps.yaml",
        """
        version: 1
        hosts: [{name: esx01, cpus: 32, memory: 512GiB}]
        vms:
          - {name: web01, host: esx01, vcpus: 4, memory: 16GiB, cpu: [10, null, 60, ~]}
          - {name: web02, host: esx01, vcpus: 2, memory: 16GiB, cpu: "20 null 30 ~"}
          - {name: web03, host: esx01, vcpus: 2, memory: 16GiB, cpu: [null, null, null, null]}
          - {name: web04, host: esx01, vcpus: 2, memory: 16GiB, cpu: [1, 2, 3, 4]}
        """,
    )
    loaded = load([path])
    percent = [[10, 60, 60, 60], [20, 30, 30, 30], [100, 100, 100, 100], [1, 2, 3, 4]]
    vcpus = np.array([[4], [2], [2], [2]])
    np.testing.assert_allclose(loaded.inventory.demand, np.array(percent) / 100 * vcpus)
    # conservative: a filled sample is never below any sample the VM was seen at
    gaps = loaded.inventory.demand[:3]
    assert (gaps[:, [1, 3]] == gaps.max(axis=1, keepdims=True)).all()
    f = str(path)
    assert [(w.file, w.line, w.column, w.path, w.message, w.level) for w in loaded.warnings] == [
        (f, 4, 62, "vms[0].cpu", "2 missing sample(s) filled with its peak 60%", Level.WARNING),
        (f, 5, 62, "vms[1].cpu", "2 missing sample(s) filled with its peak 30%", Level.WARNING),
        (
            f,
            6,
            62,
            "vms[2].cpu",
            "4 missing sample(s) filled with 100% (no sample known)",
            Level.WARNING,
        ),
    ]


def test_inline_list_string_and_csv_series_give_the_same_demand():
    names = ["good/series-list.yaml", "good/series-string.yaml", "good/series-csv.yaml"]
    demands = [load([n]).inventory.demand for n in names]
    for d in demands:
        np.testing.assert_array_equal(d[:2], demands[0])
        assert d.dtype == np.float64
        assert not d.flags.writeable
    cpu = np.array([[10, 20.5, 0, 100], [55, 45, 35, 25]])
    np.testing.assert_allclose(demands[0], cpu / 100 * np.array([[4], [2]]), rtol=1e-15)


def test_inline_series_win_over_the_csv_column():
    inv = load(["good/series-csv.yaml"]).inventory
    # web03 has its own inline cpu although cpu.csv also has a column for it
    np.testing.assert_array_equal(inv.demand[2], np.array([1, 1, 1, 1]) / 100 * 1)


def test_series_string_tokens_are_numbers_as_numpy_reads_them(problems_of, write):
    # Python's float() would take '1_0' and an Arabic-Indic digit; the fast path does not
    path = write(
        "tokens.yaml",
        """
        version: 1
        hosts: [{name: esx01, cpus: 32, memory: 512GiB}]
        vms: [{name: web01, host: esx01, vcpus: 4, memory: 16GiB, cpu: "10 1_0 \u0661 5"}]
        """,
    )
    assert problems_of(path) == [
        (str(path), 3, 68, "vms[0].cpu[1]", "expected a number from 0 to 100, got '1_0'"),
        (str(path), 3, 72, "vms[0].cpu[2]", "expected a number from 0 to 100, got '\u0661'"),
    ]


def test_a_name_listed_twice_in_a_rule(problems_of, write):
    # an anti-affinity rule naming a VM twice would have to keep the VM apart from itself
    path = write(
        "rule-twice.yaml",
        """
        version: 1
        hosts: [{name: esx01, cpus: 32, memory: 512GiB}, {name: esx02, cpus: 32, memory: 512GiB}]
        vms:
          - {name: web01, host: esx01, vcpus: 4, memory: 16GiB, cpu: [10]}
          - {name: web02, host: esx02, vcpus: 4, memory: 16GiB, cpu: [10]}
        rules:
          - {type: anti-affinity, vms: [web01, web01]}
          - {type: pin, vms: [web02], hosts: [esx02, esx02]}
        """,
    )
    f = str(path)
    assert problems_of(path) == [
        (f, 7, 40, "rules[0].vms[1]", "'web01' is listed twice"),
        (f, 8, 46, "rules[1].hosts[1]", "'esx02' is listed twice"),
    ]


TIMED_INVENTORY = """
    version: 1
    interval: 5m
    start: 2026-11-02T00:00:00Z
    cpu_series: cpu.csv
    hosts: [{name: esx01, cpus: 32, memory: 512GiB}]
    vms:
      - {name: web01, host: esx01, vcpus: 4, memory: 16GiB}
      - {name: web02, host: esx01, vcpus: 4, memory: 16GiB, cpu: [5, 5, 5, 5]}
    """


def times_csv(*stamps: str) -> str:
    return "timestamp,web01\n" + "".join(f"{s},{10 + k}\n" for k, s in enumerate(stamps))


def test_csv_times_must_start_at_start_and_follow_the_interval(problems_of, write):
    # a CSV that starts 5 minutes late and skips a row would be added out of step with web02
    write(
        "cpu.csv",
        times_csv(
            "2026-11-02T00:05:00Z",
            "2026-11-02T00:10:00Z",
            "2026-11-02T00:20:00Z",
            "2026-11-02T00:25:00Z",
        ),
    )
    path = write("inv.yaml", TIMED_INVENTORY)
    csv = str(path.parent / "cpu.csv")
    assert problems_of(path) == [
        (
            csv,
            2,
            1,
            "rows[1][0]",
            "the first sample is at 2026-11-02T00:05:00Z, but the inventory's start is "
            "2026-11-02T00:00:00Z; the series would be out of step",
        ),
        (
            csv,
            4,
            1,
            "rows[3][0]",
            "2026-11-02T00:20:00Z comes 10m after the sample before it, not the interval of 5m; "
            "leave a row of empty cells for a missing sample",
        ),
    ]


def test_csv_times_out_of_order_are_counted(problems_of, write):
    stamps = [
        "2026-11-02T00:00:00Z",
        "2026-11-02T00:10:00Z",
        "2026-11-02T00:05:00Z",
        "2026-11-02T00:15:00Z",
    ]
    write("cpu.csv", times_csv(*stamps))
    path = write("inv.yaml", TIMED_INVENTORY)
    assert [p[3:] for p in problems_of(path)] == [
        (
            "rows[2][0]",
            "2026-11-02T00:10:00Z comes 10m after the sample before it, not the interval of 5m "
            "(3 rows like this); leave a row of empty cells for a missing sample",
        )
    ]


@pytest.mark.parametrize(
    "stamps",
    [
        ("t0", "t1", "t2", "t3"),  # labels, not times: not checked
        (
            "2026-11-02 00:00:00",
            "2026-11-02 00:05:00",
            "2026-11-02 00:10",
            "2026-11-02T01:15+01:00",
        ),
    ],
)
def test_csv_times_in_step_or_not_times_at_all_load(write, stamps):
    write("cpu.csv", times_csv(*stamps))
    assert load([write("inv.yaml", TIMED_INVENTORY)]).inventory.n_samples == 4


def test_entries_after_a_broken_one_keep_their_own_index_and_its_host_is_checked(
    problems_of, write
):
    path = write(
        "inv.yaml",
        """
        version: 1
        hosts:
          - {name: esx01, cpus: 0, memory: 64GiB}
          - {name: esx02, cpus: 16, memory: 64GiB}
          - {name: esx02, cpus: 16, memory: 64GiB}
        vms:
          - {name: web01, host: esx09, vcpus: x, memory: 8GiB, cpu: [1, 2]}
          - {name: web02, host: esx08, vcpus: 2, memory: 8GiB, cpu: [1, 2]}
        """,
    )
    f = str(path)
    assert problems_of(path) == [
        (f, 3, 25, "hosts[0].cpus", "expected a number of cores greater than 0, got 0"),
        (f, 5, 12, "hosts[2].name", f"duplicate host name 'esx02' (first defined at {f}:4)"),
        (f, 7, 25, "vms[0].host", "unknown host 'esx09' (did you mean 'esx02'?)"),
        (f, 7, 39, "vms[0].vcpus", "expected a whole number of vCPUs, got 'x'"),
        (f, 8, 25, "vms[1].host", "unknown host 'esx08' (did you mean 'esx02'?)"),
    ]
