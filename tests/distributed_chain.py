"""Several training stages one after another in each process of one torchrun / `accelerate
launch` (one launch and one process group instead of one per stage: the tests' startup cost).

    accelerate launch --config_file rlhf/accelerate/ddp.yaml tests/distributed_chain.py PLAN.json

PLAN.json is `[[module, [argv...]], ...]`, each run as `python -m module argv` runs it (its
`main(argv)` inside `rlhf.models.script`, which leaves the process group at the end). A stage
given `--interrupt_at_step` is expected to stop with KeyboardInterrupt, as if killed.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

from rlhf.models import script


def chain() -> None:
    for module, argv in json.loads(Path(sys.argv[1]).read_text()):
        try:
            importlib.import_module(module).main(argv)
        except KeyboardInterrupt:
            if "--interrupt_at_step" not in argv:
                raise


if __name__ == "__main__":
    script(chain)
