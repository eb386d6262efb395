"""What the command line and the desktop app both do with the vault, one module per area.

Each use case is a function and the single place its rule lives:

- `storage`: does the store answer; the vault file made or unlocked;
- `handout`: a token handed out (refreshed first when it needs it), rendered for a
  tool or the clipboard, put on the access record; refreshing now;
- `listing`: the rows of `list` with their status, from the index alone;
- `remove`: removing an entry, with or without revoking its grant first;
- `verify`: which issuers the vault pins, and verifying against them or a given key;
- `envfiles`: tokens imported from a .env file, entries written out as one;
- `probing`: asking a token's own provider about it, and keeping the answer.

The CLI turns the results into stdout lines and exit statuses, the desktop app into
status-bar text; neither re-implements a rule. Nothing here imports Qt or argparse,
prints, or reads a secret it does not hand out. Callers import the module they need
(this package imports none of them), so `list` loads the listing rules and no more,
and the OAuth and JWT code is imported only when a use case needs it.
"""
