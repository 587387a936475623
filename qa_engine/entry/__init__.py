"""The entry points: the top layer, above workers, projections and the services.

Each process has one composition root here: the command line (``cli``, with its
command modules ``cli_read`` and ``cli_qa``), the long-running runtime (``runtime``:
worker, projections and the all-in-one ``dev``), and the codec server (``codec``).
The Temporal client side that only entry points use lives here too
(``temporal``, ``review_client``, ``qa_client``, ``workflow_calls``), and so does
the demo data ``dev`` seeds. Nothing below this package imports it.
"""
