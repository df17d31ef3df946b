"""prefect-tavus: Tavus AI videos from Prefect.

In the repository, ``prefect_tavus/flows``, ``/blocks`` and ``/tavus_api`` are symbolic links
to the top-level folders that hold the code; a wheel holds the files themselves.

Every installed name lives under this one namespace, so a project's own ``flows/`` or
``blocks/`` package never shadows ours (nor ours theirs):

- :mod:`prefect_tavus.tavus_api` — the Tavus Video API client, models, errors and the
  local simulator; it imports no Prefect.
- :mod:`prefect_tavus.blocks` — ``TavusCredentials`` (register with
  ``prefect block register -m prefect_tavus.blocks``).
- :mod:`prefect_tavus.flows` — the tasks and the ``generate-video`` flow.

This module imports nothing itself, so ``import prefect_tavus.tavus_api`` stays as light as
the client (the simulator's command starts without loading Prefect).

Example:
    >>> from prefect_tavus.tavus_api import TavusClient
    >>> from prefect_tavus.blocks import TavusCredentials
    >>> TavusCredentials.get_block_type_name()
    'Tavus Credentials'
"""
