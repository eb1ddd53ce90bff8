"""Chat: the first step of the loop (chat → rate → train → chat), without Textual.

`session.ChatSession` owns what a chat does (answers and tool commands in threads, queued
messages, conversations, ratings and preferences in the store); `commands` parses the slash
commands. The TUI (`assistant.tui.app`) shows a session and forwards the user's keys to it.
"""
