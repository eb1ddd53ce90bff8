"""Shared fixtures: a hermetic Parley home per test, no network, and a tiny Llama built from a
config with the embedded model's real tokenizer (no download)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from assistant.inference.llamacpp_backend import choose_wait_policy

# Test modules import llama_cpp at collection, before the engine could choose: choose now.
choose_wait_policy()

TINY_CONTEXT = 128


@pytest.fixture(autouse=True)
def parley_home(tmp_path, monkeypatch) -> Path:
    """Every test gets its own data dir, and no network beyond this machine."""
    home = tmp_path / "parley-home"
    monkeypatch.setenv("PARLEY_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.delenv("PARLEY_ALLOW_DOWNLOAD", raising=False)
    real_connect = socket.socket.connect

    def guarded_connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if (
            isinstance(host, str)
            and host not in ("127.0.0.1", "::1", "localhost")
            and (self.family in (socket.AF_INET, socket.AF_INET6))
        ):
            raise OSError(f"network blocked in tests: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    return home


@pytest.fixture(scope="session")
def tokenizer_dir(tmp_path_factory) -> Path:
    """The embedded model's tokenizer (read from the GGUF once), saved as an HF directory."""
    from transformers import AutoTokenizer

    from assistant.models import embedded_gguf

    gguf = embedded_gguf()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    out = tmp_path_factory.mktemp("tokenizer")
    tokenizer.save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_model_dir(tokenizer_dir, tmp_path_factory) -> Path:
    """A 2-layer Llama with hidden size 16 and the real tokenizer: random, fast, deterministic.
    Built by the training stages' own `build_tiny`, with the tokenizer read once per session."""
    from rlhf import models

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(models, "_tokenizer_source", lambda: tokenizer_dir)
        return models.build_tiny(tmp_path_factory.mktemp("tiny-llama"), context=TINY_CONTEXT)


@pytest.fixture(scope="session")
def tiny_reward_dir(tiny_model_dir, tmp_path_factory) -> Path:
    """A reward model (one score head, seed 0) on the tiny Llama, with its tokenizer."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(tiny_model_dir, num_labels=1)
    out = tmp_path_factory.mktemp("tiny-reward")
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(tiny_model_dir).save_pretrained(out)
    return out


@pytest.fixture(scope="session")
def tiny_prompts(tmp_path_factory) -> Path:
    """Four short prompts, one a line, for the RL stages."""
    path = tmp_path_factory.mktemp("prompts") / "prompts.txt"
    path.write_text("Say hi.\nName a colour.\nCount to three.\nWhat is tea?\n")
    return path


@pytest.fixture
def tiny_engine(tiny_model_dir):
    from assistant.inference import Engine
    from assistant.inference.transformers_backend import TransformersBackend
    from assistant.models import ModelSpec, load

    model, tokenizer = load(ModelSpec("tiny", "local", str(tiny_model_dir)))
    return Engine(TransformersBackend(model, tokenizer), name="tiny")


@pytest.fixture(scope="session")
def converted_embedded(tmp_path_factory) -> Path:
    """The real embedded model converted once per session (slow tests only)."""
    import os

    from assistant import models

    home = tmp_path_factory.mktemp("embedded-home")
    old = os.environ.get("PARLEY_HOME")
    os.environ["PARLEY_HOME"] = str(home)
    try:
        return models.ensure_embedded()
    finally:
        if old is None:
            del os.environ["PARLEY_HOME"]
        else:
            os.environ["PARLEY_HOME"] = old


@pytest.fixture
def embedded_ready(converted_embedded, parley_home) -> Path:
    """This test's home with the converted embedded model linked in (no second conversion)."""
    target = parley_home / "models" / converted_embedded.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(converted_embedded, target_is_directory=True)
    return target


@pytest.fixture
def torch_one_thread():
    """torch on one thread for the test (the tool tests' tiny nets run no faster on two, and the
    machine is shared), the setting put back after."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
