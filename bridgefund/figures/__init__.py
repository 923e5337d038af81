"""The read model: the figures as of a date that the services, the reports and the API read.

Below the services, above the models (nothing here knows actors, permissions or HTTP):

* ``fund`` / ``pool`` — the fund's and the pool's figures as of any date (``GET /fund``, ``GET /pool``, the
  reports), each from the summaries and, as its definition, from the whole history (``*_direct``);
* ``terms`` — a bank's terms in force on a date (the read side of ``services.bank_terms``);
* the summaries (``models.summary``), kept in step with the books in the same transaction:
  ``store`` (their columns, adding deltas to their rows), ``facts`` (loading loans' dated facts),
  ``capture`` (at each flush: what the transaction changes), ``apply`` (before the commit: the changes join the
  rows), ``read`` (committed rows plus this transaction's pending deltas), ``rebuild`` (from the books) and
  ``check`` (the summaries against the whole-history definitions, ``bridgefund summaries check``).

The capture and apply hooks run on the app's sessions only: ``services.unit_of_work`` registers them on the
app's session factory, never on SQLAlchemy's global ``Session`` class.
"""
