r"""Load YAML keeping line numbers, and refuse duplicate keys.

PyYAML's ``SafeLoader`` silently lets a repeated key override the first; a KPI spec must not.
This module is a thin subclass of that loader (libyaml's C build of it when present; no new
parser): mappings come back as
:class:`LineDict`, a ``dict`` that also remembers the line of each key.

Example:
    >>> data = loads("a: 1\\nb:\\n  c: 2\\n", "spec.yml")
    >>> data["b"]["c"], data.line_of("b"), data["b"].line_of("c")
    (2, 2, 3)
"""

from __future__ import annotations

from typing import Any

import yaml

from kpikit.errors import Problem, SpecError

__all__ = ["LineDict", "loads"]


class LineDict(dict[Any, Any]):
    """A dict that remembers the 1-based line of each key and of itself."""

    line: int = 0
    key_lines: dict[Any, int]

    def line_of(self, key: Any) -> int:
        """The line where ``key`` is written, or the mapping's own line."""
        return self.key_lines.get(key, self.line)


#: libyaml's C parser when PyYAML was built with it (its wheels are), about 3x faster on a spec;
#: the pure-Python SafeLoader otherwise. Both are safe loaders and give the same marks.
_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]
    """A safe loader that builds LineDicts and collects duplicate keys as problems."""

    def __init__(self, stream: str, filename: str) -> None:
        super().__init__(stream)
        self.filename = filename
        self.problems: list[Problem] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:
        self.flatten_mapping(node)
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in result:
                self.problems.append(
                    Problem(
                        self.filename,
                        line,
                        None,
                        str(key),
                        f"duplicate key '{key}' (first written on line {result.key_lines[key]})",
                        hint="remove one of them; YAML would silently keep only the last",
                    )
                )
                continue
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = line
        return result


_Loader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _Loader.construct_mapping,
)


def loads(text: str, filename: str) -> Any:
    """Parse YAML text; raise :class:`SpecError` on syntax errors or duplicate keys."""
    loader = _Loader(text, filename)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        raise SpecError(
            [
                Problem(
                    filename,
                    line,
                    None,
                    None,
                    f"YAML syntax error: {exc.problem}",
                    hint="check indentation and quoting on that line",
                )
            ]
        ) from None
    except yaml.YAMLError as exc:
        raise SpecError([Problem(filename, None, None, None, f"YAML error: {exc}")]) from None
    finally:
        loader.dispose()
    if loader.problems:
        raise SpecError(loader.problems)
    return data
