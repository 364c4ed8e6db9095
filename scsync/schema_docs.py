"""Field descriptions for the JSON Schemas (``scsync schema``, ``python -m scsync.plan.model``),
read from the docstring written under each model field. They are read here, when a schema is
asked for, instead of by pydantic's ``use_attribute_docstrings`` at every import: that parsed
the source of every model class on each start of the CLI."""

from __future__ import annotations

import ast
import inspect
import sys
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema


@cache
def _module_docs(module: str) -> dict[str, dict[str, str]]:
    """{class name: {field: docstring}} for the top-level classes of ``module``."""
    tree = ast.parse(inspect.getsource(sys.modules[module]))
    found: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        docs = found.setdefault(node.name, {})
        for field, doc in zip(node.body, node.body[1:], strict=False):
            if (isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name)
                    and isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant)
                    and isinstance(doc.value.value, str)):
                docs[field.target.id] = inspect.cleandoc(doc.value.value)
    return found


def field_docs(cls: type) -> dict[str, str]:
    """The docstring under each field of ``cls`` (its own fields over inherited ones)."""
    docs: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        if issubclass(klass, BaseModel) and not klass.__module__.startswith("pydantic"):
            docs.update(_module_docs(klass.__module__).get(klass.__qualname__, {}))
    return docs


class DocumentedSchema(GenerateJsonSchema):
    """pydantic's JSON Schema with each field's docstring as its ``description``."""

    def model_schema(self, schema: Any) -> Any:
        out = super().model_schema(schema)
        docs = field_docs(schema["cls"])
        for name, prop in out.get("properties", {}).items():
            if name in docs and "description" not in prop:
                prop["description"] = docs[name]
        return out
