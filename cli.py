"""The `intake` command line: parses options, calls the library, prints. The one error boundary."""

from __future__ import annotations

import click


@click.group()
def main() -> None:
    """fapiao-intake: Chinese VAT invoices into trustworthy database records."""


if __name__ == "__main__":
    main()
