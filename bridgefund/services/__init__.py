"""The domain operations: verb-named functions taking a session, the acting user and plain values.

A service changes models and writes its audit events; it never commits. The request boundary (or the
CLI) commits once, so one service call is one transaction.
"""
