"""A strict schema check: the SDK's own pydantic types must parse an event without leftover fields."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter


def assert_no_extras(obj: Any, path: str = "$") -> None:
    if isinstance(obj, BaseModel):
        extra = obj.model_extra or {}
        assert not extra, f"{path}: fields the SDK type does not declare: {sorted(extra)}"
        for name in type(obj).model_fields:
            assert_no_extras(getattr(obj, name), f"{path}.{name}")
    elif isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            assert_no_extras(item, f"{path}[{i}]")
    elif isinstance(obj, dict):
        for key, value in obj.items():
            assert_no_extras(value, f"{path}.{key}")


def strict_parse(type_: Any, data: Any) -> Any:
    """Validate with the SDK type (pydantic raises on a wrong shape), then refuse undeclared fields."""
    adapter = TypeAdapter(type_)
    value = adapter.validate_python(data)
    assert_no_extras(value)
    return value
