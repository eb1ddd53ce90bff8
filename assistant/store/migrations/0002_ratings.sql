-- Preference ratings with full provenance. One row per decision (or skip) of one annotator on one
-- pair of responses. A rating stands on its own: the whole context (system prompt included) and
-- both responses are copied in, and chat message ids are plain integers, not foreign keys.
-- Undo never deletes: it sets retracted_at (the row stays as history; every query of "the votes"
-- filters retracted_at IS NULL).
CREATE TABLE ratings (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,              -- stable across export/import
    source TEXT NOT NULL CHECK (source IN ('arena', 'pick', 'edit', 'import')),
    annotator TEXT NOT NULL,
    session_key TEXT,                      -- arena session (prompts + contenders), for resume
    item_index INTEGER,                    -- position of the item in its session
    pair_key TEXT NOT NULL,                -- hash of context + the two responses (repeat detection)
    context_json TEXT NOT NULL,            -- list of messages, system prompt first
    left_text TEXT NOT NULL,
    left_model TEXT NOT NULL,
    left_checkpoint TEXT,                  -- path or id of the weights
    left_params_json TEXT NOT NULL DEFAULT '{}',   -- sampling parameters incl. the seed used
    left_tool_calls_json TEXT NOT NULL DEFAULT '[]',
    left_score INTEGER CHECK (left_score BETWEEN 1 AND 5),
    right_text TEXT NOT NULL,
    right_model TEXT NOT NULL,
    right_checkpoint TEXT,
    right_params_json TEXT NOT NULL DEFAULT '{}',
    right_tool_calls_json TEXT NOT NULL DEFAULT '[]',
    right_score INTEGER CHECK (right_score BETWEEN 1 AND 5),
    sides_shown INTEGER NOT NULL DEFAULT 1,  -- 1: left/right were screen sides; 0: pick/edit/import
    swapped INTEGER,                       -- 1 if the session's second contender was shown left
    shuffle_seed INTEGER,                  -- the seed that decided the sides
    gold_side TEXT CHECK (gold_side IN ('left', 'right')),  -- known better response, gold items
    vote TEXT NOT NULL CHECK (vote IN ('left', 'right', 'tie', 'both_bad', 'skip')),
    reason TEXT NOT NULL DEFAULT '',
    tags_json TEXT NOT NULL DEFAULT '[]',
    conversation_id INTEGER,               -- chat pairs: where they came from
    left_message_id INTEGER,
    right_message_id INTEGER,
    shown_at REAL,                         -- item displayed
    ready_at REAL,                         -- both responses complete
    decided_at REAL NOT NULL,
    decision_seconds REAL,                 -- decided_at - ready_at
    created_at REAL NOT NULL,
    retracted_at REAL,                     -- undo
    meta_json TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX ratings_session ON ratings (session_key, annotator, retracted_at);
CREATE INDEX ratings_pair ON ratings (pair_key);
CREATE INDEX ratings_annotator ON ratings (annotator);
