"""Files in and out: ledgers, boundaries and surveys read and checked; the ledger and
tables written, no cell a formula."""
