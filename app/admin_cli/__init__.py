"""The admin commands of ``roster`` (users, groups, provisioning): a client of the GraphQL API.

This package talks to a running server over ``/graphql`` only; it never imports the domain or
the database (an import-linter contract keeps it so). Importing it is cheap: argparse wiring
lives in `app.admin_cli.commands`, and the ``gql`` client is imported only when a command runs.
"""

from app.admin_cli.commands import COMMANDS, add_commands, run

__all__ = ["COMMANDS", "add_commands", "run"]
