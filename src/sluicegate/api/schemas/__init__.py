"""Pydantic response models: the bodies the API answers, one module per route module.

The models describe the dicts the service views build; they never reshape them:

* ``Schema`` allows extra keys, so a key a view adds later is passed through rather than dropped
  (the OpenAPI test in tests/integration/test_openapi.py fails until the model declares it);
* keys a view sets only sometimes have a default and the routes serialise with
  ``response_model_exclude_unset=True``, so an absent key stays absent and a ``None`` stays
  ``None``;
* timestamps are ``str`` (the views' ISO strings, kept as they are), numbers that may be floats
  are ``Number`` (``int | float``: 3 stays 3 and 3.0 stays 3.0), and free-form documents are
  ``dict[str, Any]``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Number", "Schema"]

Number = int | float


class Schema(BaseModel):
    """The base of every response model."""

    model_config = ConfigDict(extra="allow")
