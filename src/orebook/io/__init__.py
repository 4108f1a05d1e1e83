"""Readers and writers at the edge: tables of strings in, typed data out."""

from .columns import ALIASES, find_columns, normalise, parse_numbers
from .tables import DELIMITERS, RawTable, SkippedRow, read_table
from .writing import TABLE_SUFFIXES, write_table

__all__ = ["ALIASES", "DELIMITERS", "RawTable", "SkippedRow", "find_columns", "normalise",
           "parse_numbers", "read_table", "TABLE_SUFFIXES", "write_table"]
