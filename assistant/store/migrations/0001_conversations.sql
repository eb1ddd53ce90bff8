-- Conversations as a tree of messages. Regenerate adds a sibling answer; editing a message adds a
-- sibling and so starts a branch. `current_leaf_id` is the branch the user last looked at.
CREATE TABLE conversations (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL DEFAULT 'New chat',
    system_prompt TEXT,                  -- NULL: Parley's default system prompt
    model TEXT,                          -- the model last chosen for this conversation
    temperature REAL NOT NULL DEFAULT 0.2,
    top_p REAL NOT NULL DEFAULT 0.9,
    max_new_tokens INTEGER NOT NULL DEFAULT 512,
    seed INTEGER,                        -- NULL: a fresh random seed per answer (recorded on it)
    current_leaf_id INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    parent_id INTEGER REFERENCES messages (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content TEXT NOT NULL,
    model TEXT,                          -- which model wrote it (assistant messages)
    params TEXT,                         -- JSON: the sampling parameters it was generated with
    seed INTEGER,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    tokens_per_second REAL,
    seconds REAL,
    finish_reason TEXT,                  -- eos | length | stopped | edited | error | tool
    meta TEXT,                           -- JSON: tool backend/latency/images, tool calls, ...
    thumbs INTEGER CHECK (thumbs IN (-1, 1)),
    stars INTEGER CHECK (stars BETWEEN 1 AND 5),
    created_at REAL NOT NULL
);

CREATE INDEX messages_conversation ON messages (conversation_id, id);
CREATE INDEX messages_parent ON messages (parent_id);
CREATE INDEX conversations_updated ON conversations (updated_at DESC);
