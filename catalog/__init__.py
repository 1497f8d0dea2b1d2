"""The domain layer: what the catalog does, whoever asks.

The web app, the operator CLI and the workers all call in here; nothing here knows about
Flask, HTTP or Celery. Each subpackage is one area of the domain:

- `authoring/`: editing credentials section by section, validation, history, publishing.
- `accounts/`: organizations, users, memberships, access requests, API tokens, passwords.
- `search/`: the read side that both the JSON API and the HTML pages call.
- `taxonomy.py`: loading schemes, and queuing the credentials a relabel makes stale.
- `demo.py`: the demo data `make dev` loads.
"""
