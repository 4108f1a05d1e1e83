"""Synthetic deposits whose truth is kept, for the demo and for tests of the whole chain."""

from orebook.synthetic.vein import VeinDeposit, VeinSpec, generate_vein, true_blocks, write_vein

__all__ = ["VeinDeposit", "VeinSpec", "generate_vein", "true_blocks", "write_vein"]
