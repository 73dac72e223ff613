"""Typed request models, built per model from the catalogue's schemas."""

from ._base import RequestBase, UnlistedRequest, url_or_data_uri
from ._schema import request_model

__all__ = ["RequestBase", "UnlistedRequest", "request_model", "url_or_data_uri"]
