"""The arena session without a screen: prompts files, contenders, shuffled sides, votes, resume."""

from __future__ import annotations

import json

import pytest
from arena_fake import factory

from assistant import store
from assistant.errors import DataError, UsageError
from assistant.rate import arena
from assistant.store import ratings


def _jsonl(path, *objs):
    path.write_text("\n".join(json.dumps(o) for o in objs) + "\n")
    return path


def test_prompts_file_jsonl_text_and_prepared_pairs(tmp_path):
    items = arena.load_prompts(
        _jsonl(
            tmp_path / "p.jsonl",
            {"prompt": "Hi"},
            {
                "messages": [
                    {"role": "user", "content": "a"},
                    {"role": "assistant", "content": "b"},
                    {"role": "user", "content": "c"},
                ],
                "system": "S",
            },  # fmt: skip
            {"prompt": "2+2?", "chosen": "4", "rejected": "5"},
            {"prompt": "x", "responses": [{"model": "m1", "text": "1"}, "2"], "gold": 1},
        )
    )
    assert items[0].messages == [{"role": "user", "content": "Hi"}]
    assert (
        items[1].messages[0] == {"role": "system", "content": "S"} and len(items[1].messages) == 4
    )
    assert [p.text for p in items[2].responses] == ["4", "5"] and items[2].gold == 0
    assert [p.model for p in items[3].responses] == ["m1", "response-2"] and items[3].gold == 1
    text = tmp_path / "p.txt"
    text.write_text("first prompt\n\nsecond prompt\n")
    assert [it.messages[0]["content"] for it in arena.load_prompts(text)] == [
        "first prompt",
        "second prompt",
    ]


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"prompt": "ok"', "p.jsonl:3:"),
        ('{"text": "no prompt"}', "p.jsonl:3: no 'prompt' or 'messages'"),
        (
            json.dumps(
                {
                    "messages": [
                        {"role": "user", "content": "a"},
                        {"role": "assistant", "content": "b"},
                    ]
                }
            ),
            "p.jsonl:3: the conversation must end with a user message",
        ),  # fmt: skip
        ('{"prompt": "x", "responses": ["only one"]}', "p.jsonl:3: 'responses' must list exactly"),
    ],
)
def test_a_malformed_prompts_line_is_named_with_file_and_line(tmp_path, line, message):
    path = tmp_path / "p.jsonl"
    path.write_text('{"prompt": "a"}\n{"prompt": "b"}\n' + line + "\n")
    with pytest.raises(DataError, match=message):
        arena.load_prompts(path)


def test_contenders_two_models_or_one_model_two_settings():
    a, b = arena.parse_contenders("alpha,beta")
    assert (a.label, b.label) == ("alpha", "beta")
    a, b = arena.parse_contenders("m@temperature=1.0,seed=3,m@temperature=0.2")
    assert dict(a.overrides) == {"temperature": 1.0, "seed": 3}
    assert b.label == "m@temperature=0.2"
    for bad, msg in [("m", "exactly two"), ("m,m", "both contenders are m"),
                     ("m@temp=1,n", "unknown model setting 'temp'"),
                     ("m@seed=x,n", "is not a int")]:  # fmt: skip
        with pytest.raises(UsageError, match=msg):
            arena.parse_contenders(bad)


def _session(tmp_path, items, annotator="ana", seed=7, **engines):
    conn = store.connect(tmp_path / "p.db")
    contenders = arena.parse_contenders("alpha@temperature=0.3,beta")
    make = factory(**engines)
    return arena.ArenaSession(
        conn, items, contenders, annotator, shuffle_seed=seed, engine_factory=make
    ), make


def test_votes_record_the_model_shown_on_each_side_and_sides_are_shuffled(tmp_path):
    items = [arena.Item([{"role": "user", "content": f"q{i}"}]) for i in range(12)]
    session, make = _session(tmp_path, items)
    swaps = []
    for _ in range(12):
        shown = session.show(session.next_index())
        left, right = session.generate_pair(shown)
        assert left.text.startswith(("alpha", "beta"))
        session.vote(shown, "left")
        swaps.append(shown.swapped)
        row = ratings.decode(ratings.standing(session.conn)[-1])
        chosen = row["left_model"]
        assert chosen == ("beta" if shown.swapped else "alpha@temperature=0.3")
        assert row["left_text"].startswith(chosen.split("@")[0])
        assert row["context"][0]["role"] == "system"
        assert row["left_checkpoint"] == f"/fake/{chosen.split('@')[0]}"
    assert True in swaps and False in swaps  # both orders happen
    params = make.made["alpha"].calls[0][1]
    assert params.temperature == 0.3 and params.seed is not None
    assert session.next_index() is None


def test_same_prompt_same_seed_so_repeats_are_real_repeats(tmp_path):
    items = [arena.Item([{"role": "user", "content": "same"}]) for _ in range(2)]
    session, _ = _session(tmp_path, items)
    texts = []
    for i in range(2):
        shown = session.show(i)
        texts.append(sorted(r.text for r in session.generate_pair(shown)))
    assert texts[0] == texts[1]


def test_voting_before_both_answers_are_complete_is_refused(tmp_path):
    session, _ = _session(tmp_path, [arena.Item([{"role": "user", "content": "q"}])])
    shown = session.show(0)
    session.generate(shown, "left")
    with pytest.raises(UsageError, match="wait until both"):
        session.vote(shown, "right")
    session.vote(shown, "skip")  # a skip is fine
    assert ratings.standing(session.conn)[0]["vote"] == "skip"


def test_resume_and_undo_across_a_restart(tmp_path):
    items = [arena.Item([{"role": "user", "content": f"q{i}"}]) for i in range(4)]
    session, _ = _session(tmp_path, items)
    for vote in ("left", "tie"):
        shown = session.show(session.next_index())
        session.generate_pair(shown)
        session.vote(shown, vote, reason="why", tags=["rude"], scores={"left": 4})
    session.conn.close()
    # a new process, the same prompts and models: resumes at the third item
    again, make = _session(tmp_path, items, seed=123)
    assert again.next_index() == 2
    assert again.undo() == 1  # the tie on item 1
    shown = again.show(1)
    texts = {s: again.generate(shown, s).text for s in ("left", "right")}
    row = ratings.decode(again.conn.execute("SELECT * FROM ratings WHERE id = 2").fetchone())
    assert texts == {"left": row["left_text"], "right": row["right_text"]}  # same sides as voted
    assert shown.swapped == bool(row["swapped"])
    assert make.made == {}  # nothing regenerated
    again.vote(shown, "right")
    assert [r["vote"] for r in ratings.standing(again.conn)] == ["left", "right"]
    assert again.next_index() == 2
    # another annotator starts from the beginning
    bob, _ = _session(tmp_path, items, annotator="bob")
    assert bob.next_index() == 0


def test_gold_items_record_where_the_better_response_was_shown(tmp_path):
    items = [arena.Item([{"role": "user", "content": f"q{i}"}],
                        [arena.Prepared("g1", "good"), arena.Prepared("g2", "bad")], gold=0)
             for i in range(8)]  # fmt: skip
    conn = store.connect(tmp_path / "p.db")
    session = arena.ArenaSession(conn, items, [], "ana", shuffle_seed=3)
    for i in range(8):
        shown = session.show(i)
        session.generate_pair(shown)
        good = "left" if shown.responses["left"].text == "good" else "right"
        assert shown.gold_side == good
        session.vote(shown, good)
    assert {r["gold_side"] for r in ratings.standing(conn)} == {"left", "right"}


def test_enqueued_pairs_play_without_models_and_report_the_winner(tmp_path):
    path = tmp_path / "queue.jsonl"
    key = arena.enqueue_pairs(
        path,
        [
            {
                "prompt": "Say hi",
                "responses": [{"model": "sft", "text": "hi"}, {"model": "ppo", "text": "hello!"}],
            }
        ],  # fmt: skip
    )
    conn = store.connect(tmp_path / "p.db")
    session = arena.ArenaSession(conn, arena.load_prompts(path), [], "ana")
    assert session.key == key
    shown = session.show(0)
    session.generate_pair(shown)
    ppo_side = "left" if shown.responses["left"].model == "ppo" else "right"
    session.vote(shown, ppo_side)
    (result,) = arena.session_votes(conn, key)
    assert result["winner"] == "ppo" and result["annotator"] == "ana"
    with pytest.raises(UsageError, match="give --models"):
        arena.ArenaSession(conn, [arena.Item([{"role": "user", "content": "x"}], line=4)], [], "a")


def test_a_real_model_under_two_settings_records_its_checkpoint_and_seeds(tmp_path, tiny_model_dir):
    from assistant.inference import Engine
    from assistant.inference.transformers_backend import TransformersBackend
    from assistant.models import ModelSpec, load

    def tiny(name):
        model, tokenizer = load(ModelSpec(name, "local", str(tiny_model_dir)))
        return Engine(TransformersBackend(model, tokenizer), name=name)

    conn = store.connect(tmp_path / "p.db")
    session = arena.ArenaSession(
        conn,
        [arena.Item([{"role": "user", "content": "Hello"}])],
        arena.parse_contenders(f"{tiny_model_dir}@temperature=0,{tiny_model_dir}@temperature=1.5"),
        "ana",
        base_params={"max_new_tokens": 8},
        engine_factory=tiny,
    )
    shown = session.show(0)
    left, right = session.generate_pair(shown)
    session.vote(shown, "right")
    row = ratings.decode(ratings.standing(conn)[0])
    assert row["right_text"] == right.text and row["left_text"] == left.text
    temps = {row["left_params"]["temperature"], row["right_params"]["temperature"]}
    assert temps == {0.0, 1.5}
    assert row["left_params"]["max_new_tokens"] == 8 and row["left_params"]["seed"] is not None
    assert row["left_checkpoint"] == str(tiny_model_dir)
    assert len(session._engines) == 1  # one model, loaded once for both sides


def test_parley_arena_reports_a_bad_prompts_line_and_bad_models_in_one_line(tmp_path):
    from click.testing import CliRunner

    from assistant.cli import main

    bad = tmp_path / "p.jsonl"
    bad.write_text('{"prompt": "a"}\n{"prompt": "b"}\n{"promt": "c"}\n')
    result = CliRunner().invoke(main, ["arena", "--prompts", str(bad), "--models", "a,b"])
    assert result.exit_code != 0
    assert result.output.strip() == f"parley: error: {bad}:3: no 'prompt' or 'messages' field"
    good = tmp_path / "p.txt"
    good.write_text("hello\n")
    result = CliRunner().invoke(main, ["arena", "--prompts", str(good)])
    assert "line 1 has no responses of its own: give --models A,B" in result.output
    result = CliRunner().invoke(main, ["arena", "--prompts", str(good), "--models", "a"])
    assert "--models needs exactly two entries" in result.output
    result = CliRunner().invoke(main, ["arena", "--prompts", str(good), "--models", "nope,b"])
    assert result.exit_code != 0 and "no model named" in result.output.lower()


def test_parley_arena_says_so_when_everything_is_rated(tmp_path):
    from click.testing import CliRunner

    from assistant.cli import main

    path = tmp_path / "q.jsonl"
    arena.enqueue_pairs(path, [{"prompt": "hi", "responses": ["a", "b"]}])
    session = arena.ArenaSession(store.connect(), arena.load_prompts(path), [], "ana")
    shown = session.show(0)
    session.generate_pair(shown)
    session.vote(shown, "left")
    result = CliRunner().invoke(main, ["arena", "--prompts", str(path), "--annotator", "ana"])
    assert result.exit_code == 0
    assert "ana has rated all 1 items of this session already" in result.output


def test_the_shipped_sample_prompts_load_with_their_gold_items():
    from pathlib import Path

    items = arena.load_prompts(Path(__file__).parent.parent / "data" / "arena" / "prompts.jsonl")
    assert len(items) == 10
    assert [it.gold for it in items if it.gold is not None] == [0, 1]
    assert items[7].messages[0] == {
        "role": "system",
        "content": "You answer in one short sentence.",
    }


def test_human_judge_win_rate_comes_from_the_votes_on_the_queued_pairs(tmp_path):
    from rlhf import winrate

    path = tmp_path / "winrate-ppo-vs-sft.jsonl"
    pairs = [{"prompt": f"Q{i}", "responses": [{"model": "ppo", "text": f"p{i}"},
                                                {"model": "sft", "text": f"s{i}"}]}
             for i in range(4)]  # fmt: skip
    arena.enqueue_pairs(path, pairs)
    conn = store.connect(tmp_path / "p.db")
    assert winrate.human_winrate(conn, path, "ppo", "sft") is None  # nothing rated yet
    session = arena.ArenaSession(conn, arena.load_prompts(path), [], "ana")
    for i, want in enumerate(["ppo", "ppo", "sft", None]):  # 2 wins, 1 loss, 1 tie
        shown = session.show(i)
        session.generate_pair(shown)
        side = next((s for s in ("left", "right") if shown.responses[s].model == want), None)
        session.vote(shown, side or "tie")
    result = winrate.human_winrate(conn, path, "ppo", "sft")
    assert (result["n"], result["wins"], result["ties"]) == (4, 2, 1)
    assert result["winrate"] == 2.5 / 4 and result["annotators"] == ["ana"]
    low, high = result["ci95"]
    assert low < 0.625 < high


def test_eval_winrate_human_reports_once_the_queue_is_rated(parley_home, tiny_model_dir):
    from click.testing import CliRunner

    from assistant.cli import main
    from assistant.models import EMBEDDED_NAME

    mine, other = tiny_model_dir.name, EMBEDDED_NAME
    parley_home.mkdir(parents=True, exist_ok=True)
    path = parley_home / f"winrate-{mine}-vs-{other}.jsonl"
    responses = [{"model": mine, "text": "a"}, {"model": other, "text": "b"}]
    arena.enqueue_pairs(path, [{"prompt": "Q", "responses": responses}])
    args = ["eval", "winrate", "-m", str(tiny_model_dir), "-b", other, "--judge", "human"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0 and "no votes yet" in result.output, result.output
    conn = store.connect()
    session = arena.ArenaSession(conn, arena.load_prompts(path), [], "ana")
    shown = session.show(0)
    session.generate_pair(shown)
    session.vote(shown, "left" if shown.responses["left"].model == mine else "right")
    result = CliRunner().invoke(main, args)
    assert f"{mine} vs {other}: win rate 1.00" in result.output, result.output
    assert "judge human" in result.output


def test_eval_winrate_names_the_models_as_given(parley_home, tiny_model_dir):
    # Two checkpoints are often `.../sft/model` and `.../ppo/model`: the result must not call
    # both "model".
    from click.testing import CliRunner

    from assistant.cli import main

    args = ["eval", "winrate", "-m", str(tiny_model_dir), "-b", str(tiny_model_dir)]
    result = CliRunner().invoke(main, [*args, "--limit", "2", "--max-new-tokens", "4", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output[result.output.index("{") :])  # after the load messages
    assert record["model"] == record["against"] == str(tiny_model_dir)
    assert record["n"] == 2 and record["judge"] == "judge"
