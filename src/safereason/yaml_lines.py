"""Read YAML keeping each node's line, so config errors can say where they are."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel, ValidationError

from safereason.errors import SafereasonError, did_you_mean

# Aliases may share a block of options (``<<: *defaults``), but a document whose aliases
# expand to more nodes than this (a "billion laughs" file) is refused before it is built.
MAX_NODES = 100_000


class LocatedYaml:
    """A parsed YAML document plus a way to find the line of any key path in it.

    Refused, in one line with the file and line: malformed YAML, a key given twice in
    one mapping, an alias that refers to itself, and aliases that expand past
    :data:`MAX_NODES` nodes.
    """

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        try:
            self.node = yaml.compose(text, Loader=yaml.SafeLoader)
            if self.node is not None:
                self._check(self.node)
            self.data: Any = (
                yaml.SafeLoader("").construct_document(self.node) if self.node else None
            )
        except yaml.YAMLError as e:
            raise self._syntax_error(e) from None
        except RecursionError:
            raise SafereasonError(f"{source}: YAML nested too deeply") from None

    def _syntax_error(self, e: yaml.YAMLError) -> SafereasonError:
        mark = getattr(e, "problem_mark", None)
        where = f"{self.source}:{mark.line + 1}" if mark is not None else self.source
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        return SafereasonError(f"{where}: malformed YAML: {problem}")

    def _check(self, root: yaml.Node) -> None:
        """Duplicate keys, recursive aliases and alias explosions, each with its line."""
        sizes: dict[int, int] = {}
        open_: set[int] = set()

        def size(node: yaml.Node) -> int:
            nid = id(node)
            if nid in sizes:
                return sizes[nid]
            if nid in open_:
                raise SafereasonError(
                    f"{self.source}:{node.start_mark.line + 1}: an alias refers to its own "
                    f"anchor (a recursive YAML document)"
                )
            open_.add(nid)
            total = 1
            if isinstance(node, yaml.MappingNode):
                seen: dict[str, int] = {}
                for k, v in node.value:
                    if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge":
                        line = k.start_mark.line + 1
                        if k.value in seen:
                            raise SafereasonError(
                                f"{self.source}:{line}: duplicate key {k.value!r} "
                                f"(first at line {seen[k.value]}); give each key once"
                            )
                        seen[k.value] = line
                    total += size(k) + size(v)
            elif isinstance(node, yaml.SequenceNode):
                for v in node.value:
                    total += size(v)
            open_.discard(nid)
            sizes[nid] = total
            if total > MAX_NODES:
                raise SafereasonError(
                    f"{self.source}:{node.start_mark.line + 1}: YAML aliases expand to more "
                    f"than {MAX_NODES:,} nodes; write the values out or share fewer"
                )
            return total

        size(root)

    @classmethod
    def from_file(cls, path: Path) -> LocatedYaml:
        """Read and parse a YAML file; a clear error if it is missing or unreadable."""
        try:
            return cls(path.read_text(encoding="utf-8"), str(path))
        except FileNotFoundError:
            raise SafereasonError(f"config file not found: {path}") from None
        except IsADirectoryError:
            raise SafereasonError(
                f"cannot read {path}: it is a directory, not a YAML file"
            ) from None
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


def dotted(loc: Sequence[str | int]) -> str:
    """A key path as ``models.0.n_ctx``."""
    return ".".join(str(p) for p in loc) or "(top level)"


def validation_error(
    e: ValidationError,
    doc: LocatedYaml,
    prefix: Sequence[str | int] = (),
    model: type[BaseModel] | None = None,
) -> SafereasonError:
    """One pydantic error as ``file:line: key: message``: an unknown key if there is one,
    else the first error (``prefix``: where the validated mapping sits in the document).
    With ``model`` (the validated class), an unknown key is answered with the nearest
    known key of its mapping."""
    errors = e.errors()
    # an unknown key is usually why a required one is missing ("method:" for "methods:")
    err = next((x for x in errors if x["type"] == "extra_forbidden"), errors[0])
    tail = [p for p in err["loc"] if not _union_tag(p)]
    loc: list[str | int] = [*prefix, *tail]
    msg = err["msg"]
    if err["type"] == "extra_forbidden":
        known = _keys_at(model, tail[:-1]) if model is not None else []
        hint = did_you_mean(str(tail[-1]), known) if tail and known else ""
        msg = f"unknown key{hint}" + (f"; keys: {', '.join(known)}" if known else "")
    elif err["type"] == "missing":
        msg = "required key is missing"
    elif err["type"] == "value_error":
        msg = msg.removeprefix("Value error, ")
    elif "input" in err and not isinstance(err["input"], dict | list):
        shown = repr(err["input"])
        msg = f"{msg}, got {shown if len(shown) <= 60 else shown[:57] + '...'}"
    return SafereasonError(f"{doc.where(loc)}: {dotted(loc)}: {msg}")


def _union_tag(part: Any) -> bool:
    """pydantic names the member of a union it tried in an error's location: not a key."""
    if not isinstance(part, str):
        return False
    return part in UNION_TAGS or "[" in part or part.startswith(("literal", "function-"))


def _keys_at(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The field names of the mapping at ``loc`` inside ``model`` (``[]`` if not a model)."""
    tp: Any = model
    for part in loc:
        tp = _model_in(tp)
        if tp is None:
            return []
        if isinstance(part, int):
            continue  # a list index: the model of the list's items, found next round
        field = tp.model_fields.get(str(part))
        if field is None:
            return []
        tp = field.annotation
    found = _model_in(tp)
    return sorted(found.model_fields) if found is not None else []


def _model_in(tp: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation (``list[M]``, ``M | None``, ``dict[str, M]``)."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    for arg in get_args(tp):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
