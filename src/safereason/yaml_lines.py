"""Read YAML keeping each node's line, so config errors can say where they are."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from safereason.errors import SafereasonError


class LocatedYaml:
    """A parsed YAML document plus a way to find the line of any key path in it."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        try:
            self.node = yaml.compose(text, Loader=yaml.SafeLoader)
            self.data: Any = yaml.safe_load(text)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f"{source}:{mark.line + 1}" if mark is not None else source
            problem = getattr(e, "problem", None) or str(e).splitlines()[0]
            raise SafereasonError(f"{where}: malformed YAML: {problem}") from None

    @classmethod
    def from_file(cls, path: Path) -> LocatedYaml:
        """Read and parse a YAML file; a clear error if it is missing or unreadable."""
        try:
            return cls(path.read_text(encoding="utf-8"), str(path))
        except FileNotFoundError:
            raise SafereasonError(f"config file not found: {path}") from None
        except (OSError, UnicodeDecodeError) as e:
            raise SafereasonError(f"cannot read {path}: {e}") from None

    def line(self, loc: Sequence[str | int]) -> int | None:
        """The 1-based line of the deepest node on ``loc`` that exists."""
        node = self.node
        line = node.start_mark.line + 1 if node is not None else None
        for part in loc:
            child = None
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if k.value == str(part):
                        child, line = v, k.start_mark.line + 1
                        break
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(part, int)
                and 0 <= part < len(node.value)
            ):
                child = node.value[part]
                line = child.start_mark.line + 1
            if child is None:
                break
            node = child
        return line

    def where(self, loc: Sequence[str | int]) -> str:
        """``file:line`` for a key path."""
        line = self.line(loc)
        return f"{self.source}:{line}" if line else self.source


# The names pydantic puts in an error's location for the member of a union it tried;
# they are not keys of the document, so they are left out of the key path.
UNION_TAGS = frozenset({"str", "dict[str,any]", "dict[any,any]", "list[str]", "list[any]"})


def validation_error(
    e: ValidationError, doc: LocatedYaml, prefix: Sequence[str | int] = ()
) -> SafereasonError:
    """The first pydantic error as ``file:line: key: message`` (``prefix``: where the
    validated mapping sits in the document)."""
    err = e.errors()[0]
    tail = [p for p in err["loc"] if not (isinstance(p, str) and p in UNION_TAGS)]
    loc: list[str | int] = [*prefix, *tail]
    key = ".".join(str(p) for p in loc) or "(top level)"
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    elif err["type"] == "missing":
        msg = "required key is missing"
    return SafereasonError(f"{doc.where(loc)}: {key}: {msg}")
