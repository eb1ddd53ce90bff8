"""Rate: the second step of the loop (chat → rate → train → chat).

`arena` runs a rating session (two answers side by side, a vote each, no Textual), `arena_inputs`
reads what it rates, `prefs` turns the stored ratings into preference pairs for training,
`prefs_stats` reports on them, and `export` writes conversations out (Markdown to read, JSONL to
train on). The screens are in `assistant.tui`; the ratings themselves in `assistant.store.ratings`.
"""
