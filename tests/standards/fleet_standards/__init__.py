"""The standards checks, usable on any tree; tests/standards runs them on the real code and on
planted violations."""
