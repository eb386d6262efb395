"""Ask a token's own provider about it: accepted or refused, its expiry, its scopes.

- `providers.py` says where an entry's token may be asked about (its prefix, its
  bound settings) and how each provider is asked, as data;
- `http.py` sends the one request (https, no redirects, a capped answer);
- `answers.py` reads each provider's answer;
- `check.py` asks, and folds the answer into what the entry knows;
- `text.py` says what a provider said in one line, `schedule.py` when to ask again,
  `network.py` whether the desktop says the connection may be used.

What the index keeps is `entries.ProviderCheck`: no secret, only what was said and
when. The use case that ties these to the vault (binding check first, then one
request, then one index write) is `usecases.probing.probe`. The package itself imports
nothing: the details pane's line (`text`) needs none of the HTTP and parsing modules.
"""
