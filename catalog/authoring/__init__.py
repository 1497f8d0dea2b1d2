"""Authoring credentials: validation, section saves with revisions and conflicts, status changes.

Plain functions over a SQLAlchemy session, shared by the editor pages, the authoring API and the
demo loader, so all three apply the same rules. Nothing here imports Flask.
"""
