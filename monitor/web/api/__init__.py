"""The HTTP API of CONTRACT.md §2: one module per resource group, each declaring its operations on
`common.api`, which also writes the OpenAPI document from them."""
from __future__ import annotations

from . import (
               alerts,
               entries,
               exports,
               history,
               imports,
               patients,
               rems,
               reports,
               sessions,
               shifts,
               users,
               vitals,
               worklist,
)
from .common import api, blueprint

__all__ = ["alerts", "api", "blueprint", "entries", "exports", "history", "imports", "patients", "rems",
           "reports", "sessions", "shifts", "users", "vitals", "worklist"]
