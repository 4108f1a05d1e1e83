"""The crosswalk table: the default of CONVENTIONS.md, replaceable, checked on reading."""

from __future__ import annotations

import pytest

from orebook.crosswalk import SYSTEMS, read_crosswalk
from orebook.errors import InputError, ParameterError

# CONVENTIONS.md's table, typed in here independently of the shipped CSV
EXPECTED = {
    "A": ("Measured", "Proved", "111", "221"),
    "B": ("Measured", "Proved", "111", "221"),
    "C1": ("Indicated", "Probable", "112", "222"),
    "C2": ("Inferred", None, "223", "223"),
    "P1": ("Exploration results", None, "334", "334"),
    "P2": (None, None, "334", "334"),
    "P3": (None, None, "334", "334"),
}


@pytest.mark.parametrize("category", sorted(EXPECTED))
def test_default_table_is_the_conventions(category):
    cw = read_crosswalk()
    crirsco, reserve, unfc_balance, unfc_off = EXPECTED[category]
    assert cw.map(category, "balance", "state") == category
    assert cw.map(category, "balance", "crirsco") == crirsco
    assert cw.map(category, "off-balance", "crirsco") == crirsco
    assert cw.map(category, "balance", "crirsco-reserve") == reserve
    assert cw.map(category, "off-balance", "crirsco-reserve") is None
    assert cw.map(category, "balance", "unfc") == unfc_balance
    assert cw.map(category, "off-balance", "unfc") == unfc_off


def test_inverse_and_errors():
    cw = read_crosswalk()
    assert cw.categories_of("Measured") == ("A", "B")
    assert cw.map("X", "balance", "crirsco") is None
    with pytest.raises(ParameterError):
        cw.map("A", "balance", "jorc")
    assert set(SYSTEMS) == {"state", "crirsco", "crirsco-reserve", "unfc"}


def test_a_users_table_replaces_the_default(tmp_path):
    p = tmp_path / "mine.csv"
    p.write_text("state,crirsco_resource,crirsco_reserve,unfc_reserve,unfc_resource\n"
                 "A,Measured,Proved,111,221\nB,Indicated,Probable,112,222\n")
    cw = read_crosswalk(p)
    assert cw.map("B", "balance", "crirsco") == "Indicated"
    assert cw.map("C1", "balance", "crirsco") is None      # not in this table: unmapped
    assert cw.source == str(p)


def test_bad_tables_name_row_and_column(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("state,crirsco_resource,crirsco_reserve,unfc_reserve,unfc_resource\n"
                 "A,Measured,Proved,111,221\nQ,Measured,Proved,111,221\n")
    with pytest.raises(InputError) as err:
        read_crosswalk(p)
    assert (err.value.row, err.value.column) == (3, "state")
    p.write_text("state,crirsco_resource,crirsco_reserve,unfc_reserve,unfc_resource\n"
                 "A,Measured,Proved,111,221\na,Measured,Proved,111,221\n")
    with pytest.raises(InputError, match="given twice") as err:
        read_crosswalk(p)
    assert err.value.row == 3
    p.write_text("state,crirsco\nA,Measured\n")
    with pytest.raises(InputError, match="missing") as err:
        read_crosswalk(p)
    assert err.value.row == 1
