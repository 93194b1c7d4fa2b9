"""The itemised monthly estimate as a table, the same on every cloud's cost step."""
from __future__ import annotations

from rich.table import Table

from ..plain import plain


def cost_table(cost) -> Table:
    """`cost` is a wizard.aws.cost.CostEstimate (the Azure estimate has the same shape)."""
    table = Table(box=None, padding=(0, 2), show_footer=True)
    table.add_column("Item", footer="Estimated total per month")
    table.add_column("How it is priced")
    # A str cell is parsed as markup by Rich: the item names and details are the price list's.
    table.add_column(plain(f"{cost.currency}/month"), justify="right", footer=f"${cost.total:,.2f}")
    for line in cost.lines:
        table.add_row(plain(line.item), plain(line.detail), f"${line.monthly:,.2f}")
    return table
