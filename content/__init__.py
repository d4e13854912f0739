"""The curated tip library: data files in ``content/tips``, a schema and a strict loader."""

from content.library import ContentError, Library, Tip, load_library

__all__ = ["ContentError", "Library", "Tip", "load_library"]
