"""The rules: one module per journey (groups, meetings, broadcasts, tips, check-ins, surveys,
stats, exports, privacy, engagement...). A service takes plain values and an injected clock,
speaks to storage through a transaction and never sees a PTB ``Update``; what it says back
is a ``Reply`` (``bot/replies.py``: words and buttons, rendered by the handler in the
reader's language). Services are built in one place, ``bot/runtime/wiring.py``, each given
what it needs in its constructor."""
