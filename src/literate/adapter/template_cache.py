"""While serving: the theme's templates compiled once per serve, not once per rebuild (issue 27).

MkDocs makes a new Jinja environment for every build, so every rebuild compiles the theme's
templates again. Jinja's documented bytecode cache keeps what it compiled, by template name and
a checksum of the template's source: an edited template (an override) is compiled anew.
"""

from __future__ import annotations

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket


class CompiledTemplates(BytecodeCache):
    """Jinja's bytecode cache, in memory, for the life of the process."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])  # dropped by Jinja if the checksum differs

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()
