"""The rules: one module per journey (groups, meetings, broadcasts, tips, check-ins, surveys,
stats, exports, privacy...). A service takes plain values and an injected clock, speaks to
storage through a transaction and never sees a PTB ``Update``."""
