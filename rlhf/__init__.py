"""Parley's training: data formats, SFT, reward model, PPO (and RLOO/DPO), evaluation, pipeline.

Imported only by the CLI's training commands (lazily), never by the runtime in `assistant/`.
"""
