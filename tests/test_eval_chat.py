"""`parley eval chat` (`rlhf/evalchat.py`, `rlhf/eval_checks.py`): scoring on a scripted engine,
the table and the record; one slow test on the real embedded model."""

from __future__ import annotations

import doctest
import json
import threading

import pytest
from click.testing import CliRunner

from assistant.cli import main
from assistant.inference import Done, GenerationParams, Started, TextChunk
from assistant.stats import wilson
from assistant.toolcall import render
from rlhf import eval_checks, evalchat


class ScriptedEngine:
    """Answers by prompt (threads may ask in any order)."""

    system_prompt = "You are Parley."

    def __init__(self, answers: dict[str, str], name: str = "scripted", default: str = "") -> None:
        self.answers, self.name, self.default = answers, name, default
        self.calls: list[list[dict]] = []
        self.lock = threading.Lock()

    def generate(self, messages, params=None, cancel=None, *, tools=True):
        assert tools is False, "the battery scores the model's own words, not tool results"
        params = params or GenerationParams()
        with self.lock:
            self.calls.append(messages)
        text = self.answers.get(messages[-1]["content"], self.default)
        yield Started(self.name, 10, 0, params.seed or 0)
        words = text.split(" ")
        finish = "length" if len(words) > params.max_new_tokens else "eos"
        text = " ".join(words[: params.max_new_tokens])
        yield TextChunk(text)
        yield Done(text, finish, 10, len(words), 0.1, 0.05, params.seed or 0)


def item(kind: str, **data) -> evalchat.Item:
    prompt = data.get("question") or data["prompt"]
    return evalchat.Item(f"{kind}-1", kind, data.pop("category", "x"), prompt, data)


CAPITAL = item("knowledge", question="What is the capital of Spain?", lang="en", answers=["Madrid"])
PT = item("knowledge", question="Qual é a capital da Itália?", lang="pt", answers=["Roma"])
ONE_WORD = item("instructions", prompt="Name a planet. One word.", check={"kind": "one_word"})
TRANSLATE = item(
    "tools",
    prompt="Portuguese for: see you",
    tool="translate",
    arguments={"text": "see you", "to": "pt"},
    category="translate",
)
PLAIN = item(
    "tools", prompt="Who painted the Mona Lisa?", tool=None, arguments=None, category="no_tool"
)


def test_doctests_pass():
    for module in (eval_checks, evalchat):
        result = doctest.testmod(module)
        assert result.attempted >= 3 and result.failed == 0


@pytest.mark.parametrize(
    ("check", "right", "wrong"),
    [
        ({"kind": "max_words", "n": 5}, "Waves roll in slowly.", "Waves roll in and out all day."),
        ({"kind": "one_word"}, "Saturn.", "Saturn and Mars."),
        ({"kind": "yes_no"}, "No.", "No, fish cannot."),
        ({"kind": "lowercase"}, "snow is soft. it is white.", "Snow is soft."),
        ({"kind": "bullets", "n": 3}, "- a\n- b\n- c", "- a\n- b"),
        ({"kind": "include", "word": "blue"}, "A blue sea.", "A grey sea."),
        ({"kind": "exclude", "word": "sand"}, "Dunes and heat.", "Sand and heat."),
        ({"kind": "start_with", "word": "Well"}, "Well, yes.", "Yes, well."),
        ({"kind": "end_with", "phrase": "The end."}, "Done. The end.", "The end. Done."),
        ({"kind": "sentences", "n": 2}, "One. Two.", "One. Two. Three."),
        ({"kind": "json", "key": "city"}, '{"city": "Oslo"}', '{"town": "Oslo"}'),
        ({"kind": "comma_list", "n": 3}, "red, green, blue", "red, green"),
    ],
)
def test_every_instruction_checker_scores_right_1_and_wrong_0(check, right, wrong):
    assert check["kind"] in eval_checks.INSTRUCTIONS
    assert eval_checks.follows(right, check) and not eval_checks.follows(wrong, check)


def test_known_right_answers_score_1_and_wrong_ones_0():
    engine = ScriptedEngine(
        {
            CAPITAL.prompt: "The capital of Spain is Madrid.",
            PT.prompt: "A capital da Itália é Roma.",
            ONE_WORD.prompt: "Jupiter.",
            TRANSLATE.prompt: render("translate", {"text": "See you!", "to": "pt"}),
            PLAIN.prompt: "Leonardo da Vinci painted it.",
        }
    )
    axes = evalchat.run(engine, [CAPITAL, PT, ONE_WORD, TRANSLATE, PLAIN])["axes"]
    for key in ("knowledge", "instructions", "language_pt", "right_tool", "right_call"):
        assert axes[key]["rate"] == 1.0, key
    for key in ("false_call", "loop", "no_end", "empty"):
        assert axes[key]["rate"] == 0.0, key
    wrong = ScriptedEngine(
        {
            CAPITAL.prompt: "The capital of Spain is Barcelona.",
            PT.prompt: "The capital of Italy is Rome, of course.",
            ONE_WORD.prompt: "Jupiter is a planet.",
            TRANSLATE.prompt: render("sentiment", {"text": "see you"}),
            PLAIN.prompt: render("imagine", {"prompt": "a painting"}),
        }
    )
    axes = evalchat.run(wrong, [CAPITAL, PT, ONE_WORD, TRANSLATE, PLAIN])["axes"]
    for key in ("knowledge", "instructions", "language_pt", "right_tool", "right_call"):
        assert axes[key]["rate"] == 0.0, key
    assert axes["false_call"] == {"k": 1, "n": 4, "rate": 0.25, "ci95": [0.046, 0.699]}


def test_right_tool_with_wrong_arguments_is_not_a_right_call():
    engine = ScriptedEngine({TRANSLATE.prompt: render("translate", {"text": "hi", "to": "pt"})})
    axes = evalchat.run(engine, [TRANSLATE])["axes"]
    assert axes["right_tool"]["rate"] == 1.0 and axes["right_call"]["rate"] == 0.0


def test_the_shipped_file_and_document_requests_are_scored_by_their_calls():
    """transcribe (no arguments), caption (the image's name, `@` or not) and qa (the question and
    the text copied from the message): the right call scores, a wrong tool or argument does not."""
    items = evalchat.load_items("dev") + evalchat.load_items("test")
    shipped = {
        t: [i for i in items if i.kind == "tools" and i.data["tool"] == t]
        for t in ("transcribe", "caption", "qa")
    }
    assert all(len(found) >= 8 for found in shipped.values())
    recording, image, text = shipped["transcribe"][0], shipped["caption"][0], shipped["qa"][0]
    document = text.data["arguments"]["document"]
    right = ScriptedEngine(
        {
            recording.prompt: render("transcribe", {}),
            image.prompt: render("caption", {"image": "@" + image.data["arguments"]["image"]}),
            text.prompt: render("qa", {**text.data["arguments"], "document": document.upper()}),
        }
    )
    axes = evalchat.run(right, [recording, image, text])["axes"]
    assert axes["right_tool"]["rate"] == 1.0 and axes["right_call"]["rate"] == 1.0
    wrong = ScriptedEngine(
        {
            recording.prompt: render("transcribe", {"file": "memo.wav"}),  # has an argument
            image.prompt: render("caption", {"image": "other.png"}),
            text.prompt: render("qa", {**text.data["arguments"], "document": document[:40]}),
        }
    )
    axes = evalchat.run(wrong, [recording, image, text])["axes"]
    assert axes["right_tool"]["rate"] == 1.0 and axes["right_call"]["rate"] == 0.0
    assert (
        evalchat.run(ScriptedEngine({}, default=render("summarize", {"text": document})), [text])[
            "axes"
        ]["right_tool"]["rate"]
        == 0.0
    )


def test_degeneration_is_counted_over_every_answer():
    engine = ScriptedEngine(
        {CAPITAL.prompt: "Madrid is nice. " * 10, ONE_WORD.prompt: "", PLAIN.prompt: "word " * 50}
    )
    result = evalchat.run(
        engine, [CAPITAL, ONE_WORD, PLAIN], params=GenerationParams(max_new_tokens=20)
    )
    axes = result["axes"]
    assert (axes["loop"]["k"], axes["no_end"]["k"], axes["empty"]["k"]) == (2, 2, 1)
    assert axes["loop"]["n"] == 3
    assert axes["knowledge"]["rate"] == 1.0  # looping but right still knows


def test_a_french_answer_to_an_english_question_is_in_the_wrong_language():
    engine = ScriptedEngine({CAPITAL.prompt: "La capitale de l'Espagne est Madrid, et la ville."})
    axes = evalchat.run(engine, [CAPITAL])["axes"]
    assert axes["knowledge"]["rate"] == 1.0 and axes["language_en"]["rate"] == 0.0


def test_every_prompt_gets_each_seed_and_the_system_prompt():
    engine = ScriptedEngine({}, default="Madrid")
    result = evalchat.run(engine, [CAPITAL, PT], system="Be brief.", seeds=3, workers=4)
    assert result["answers"] == 6 and len(engine.calls) == 6
    assert {m[0]["content"] for m in engine.calls} == {"Be brief."}
    assert sorted((i["id"], i["seed"]) for i in result["items"]) == sorted(
        (i.id, s) for i in (CAPITAL, PT) for s in range(3)
    )


def test_answers_are_asked_for_together_and_kept_in_order():
    gate = threading.Barrier(4, timeout=10)  # breaks unless 4 answers are asked for at once

    class Slow(ScriptedEngine):
        def generate(self, messages, params=None, cancel=None, *, tools=True):
            gate.wait()
            yield from super().generate(messages, params, cancel, tools=tools)

    prompts = [f"q{i}" for i in range(8)]
    engine = Slow({p: f"answer to {p}" for p in prompts})
    jobs = [("sys", p, GenerationParams(seed=0)) for p in prompts]
    done = evalchat.answer_all(engine, jobs, workers=4)
    assert [d.text for d in done] == [f"answer to {p}" for p in prompts]


def test_a_failing_answer_is_raised_not_swallowed():
    class Broken(ScriptedEngine):
        def generate(self, messages, params=None, cancel=None, *, tools=True):
            raise RuntimeError("model exploded")
            yield

    with pytest.raises(RuntimeError, match="model exploded"):
        evalchat.answer_all(Broken({}), [("s", "q", GenerationParams())] * 3, workers=2)


def test_the_model_default_system_prompt_comes_from_the_chat_template():
    from assistant.inference.chat_template import ChatTemplate

    source = (
        "{% for m in messages %}{% if loop.first and m['role'] != 'system' %}"
        "<|im_start|>system\nI am the default.<|im_end|>\n{% endif %}"
        "<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    )
    engine = ScriptedEngine({})
    engine.tokenizer = type("Tok", (), {"template": ChatTemplate(source)})()
    assert evalchat.model_default_system(engine) == "I am the default."
    empty_default = (
        "{% if loop.first and m['role'] != 'system' %}<|im_start|>system\n<|im_end|>\n{% endif %}"
    )
    no_default = source.replace("I am the default.", "").replace(empty_default, "")
    engine.tokenizer.template = ChatTemplate(no_default)
    with pytest.raises(Exception, match="has no system prompt of its own"):
        evalchat.model_default_system(engine)


@pytest.fixture
def scripted(monkeypatch):
    """`parley eval chat` on scripted engines: every model answers "Madrid" (or its script)."""
    engines = {}

    def load_engine(model, workers, context_window=1024, progress=None, backend="auto"):
        engines[model] = ScriptedEngine({}, name=model, default="Madrid.")
        return engines[model], workers

    monkeypatch.setattr(evalchat, "load_engine", load_engine)
    return engines


def test_cli_prints_one_column_per_model_and_writes_the_record(scripted, parley_home):
    result = CliRunner().invoke(
        main, ["eval", "chat", "--model", "a", "--against", "b", "--limit", "3", "--split", "test"]
    )
    assert result.exit_code == 0, result.output
    header, *rows = [line for line in result.stdout.splitlines() if line.startswith(("  ", "k"))]
    assert header.split() == ["a", "b"]
    knowledge = next(r for r in result.stdout.splitlines() if r.startswith("knowledge"))
    assert knowledge.count("n=3") == 2 and knowledge.count("[") == 2
    assert "answers" in result.stderr  # the progress bar
    (path,) = (parley_home / "evals").glob("chat-a-test-*.json")
    record = json.loads(path.read_text())
    assert record["models"] == ["a", "b"] and record["split"] == "test"
    assert len(record["results"][1]["items"]) == 9
    assert str(path) in result.stdout
    assert "knowledge/" not in result.stdout


def test_cli_by_category(scripted):
    result = CliRunner().invoke(main, ["eval", "chat", "--limit", "12", "--by-category"])
    assert result.exit_code == 0, result.output
    rows = {
        line.split()[0]: line.split()[1:]
        for line in result.stdout.splitlines()
        if "/" in line and not line.startswith("record")
    }
    plain = sum(i.category == "no_tool" for i in evalchat.load_items("dev", limit=12))
    assert rows["knowledge/geography"][0].endswith("%") and rows["tools/no_tool"] == [
        "0%",
        f"n={plain}",
    ]


def test_cli_json_and_sampling_flags(scripted):
    result = CliRunner().invoke(
        main,
        [
            "eval",
            "chat",
            "--limit",
            "1",
            "--seeds",
            "2",
            "--json",
            "-t",
            "0",
            "--top-p",
            "0.5",
            "--system",
            "Hi.",
        ],
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    (only,) = record["results"]
    assert only["params"]["temperature"] == 0.0 and only["params"]["top_p"] == 0.5
    assert only["system"] == "Hi." and only["answers"] == 6 and only["seeds"] == 2


def test_cli_unknown_split_is_one_clear_line():
    result = CliRunner().invoke(main, ["eval", "chat", "--split", "train"])
    assert result.exit_code != 0 and "'train' is not one of 'dev', 'test'" in result.output


@pytest.mark.slow
def test_the_real_embedded_model_on_a_handful_of_items(parley_home):
    engine, workers = evalchat.load_engine("smollm2-135m-instruct", 4)
    try:
        items = evalchat.load_items("dev", limit=4)
        result = evalchat.run(
            engine, items, params=GenerationParams(max_new_tokens=48), workers=workers
        )
        assert engine.backend.max_batch_seen >= 2  # answers shared forward passes
    finally:
        engine.close()
    assert result["answers"] == 12 and result["tokens"] > 12
    assert all(result["axes"][k]["n"] for k in ("knowledge", "instructions", "right_tool"))
    assert sum(bool(i["answer"].strip()) for i in result["items"]) >= 10


def test_the_record_of_a_run_goes_into_the_run(tmp_path, parley_home):
    model = tmp_path / "runs" / "sft-x" / "model"
    model.mkdir(parents=True)
    (model / "config.json").write_text("{}")
    assert evalchat.record_path(str(model), "dev").parent == model.parent / "evals"
    embedded = evalchat.record_path("smollm2-135m-instruct", "test")
    assert embedded.parent == parley_home / "evals"
    assert embedded.name.startswith("chat-smollm2-135m-instruct-test-")


def test_the_record_has_each_category():
    engine = ScriptedEngine({PLAIN.prompt: render("imagine", {"prompt": "a painting"})})
    categories = evalchat.run(engine, [CAPITAL, TRANSLATE, PLAIN])["categories"]
    assert categories["knowledge/x"] == {"rate": 0.0, "n": 1}
    assert categories["tools/translate"] == {"rate": 0.0, "n": 1}  # right calls
    assert categories["tools/no_tool"] == {"rate": 1.0, "n": 1}  # false calls


def test_the_time_row_lines_up_with_the_other_columns():
    results = [
        evalchat.run(ScriptedEngine({}, name=n, default="Madrid"), [CAPITAL, ONE_WORD])
        for n in ("a", "b")
    ]
    lines = evalchat.table(results, ["a", "b"]).splitlines()
    header, knowledge = lines[0], next(r for r in lines if r.startswith("knowledge"))
    time_row = next(r for r in lines if r.startswith("time"))
    column = header.index("b")
    assert knowledge[column - 1] == " " and knowledge[column:].startswith("100.0%")
    assert time_row[column - 1] == " " and time_row[column:].split(" s,")[0].isdigit()


def test_several_seeds_of_one_prompt_are_not_counted_as_independent_prompts():
    prompts = [
        item("knowledge", question=f"Capital {i}?", lang="en", answers=["Madrid"])
        for i in range(20)
    ]
    answers = {p.prompt: "Madrid" if i % 2 else "Paris" for i, p in enumerate(prompts)}
    one = evalchat.run(ScriptedEngine(answers), prompts)["axes"]["knowledge"]
    five = evalchat.run(ScriptedEngine(answers), prompts, seeds=5)["axes"]["knowledge"]
    assert (one["n"], five["n"]) == (20, 100)
    # a model that says the same thing under every seed knows no more than one seed shows
    assert one["rate"] == five["rate"] == 0.5 and five["ci95"] == one["ci95"]
    assert five["ci95"][1] - five["ci95"][0] > 1.5 * (wilson(50, 100)[1] - wilson(50, 100)[0])


def test_seeds_that_disagree_within_each_prompt_narrow_the_interval():
    prompts = [
        item("knowledge", question=f"Capital {i}?", lang="en", answers=["Madrid"])
        for i in range(20)
    ]

    class Alternating(ScriptedEngine):  # right under even seeds, wrong under odd ones
        def generate(self, messages, params=None, cancel=None, *, tools=True):
            self.default = "Madrid" if (params.seed or 0) % 2 == 0 else "Paris"
            yield from super().generate(messages, params, cancel, tools=tools)

    two = evalchat.run(Alternating({}), prompts, seeds=2)["axes"]["knowledge"]
    clumped = {p.prompt: "Madrid" if i % 2 else "Paris" for i, p in enumerate(prompts)}
    same = evalchat.run(ScriptedEngine(clumped), prompts, seeds=2)["axes"]["knowledge"]
    assert two["rate"] == same["rate"] == 0.5
    assert two["ci95"][1] - two["ci95"][0] < same["ci95"][1] - same["ci95"][0]
