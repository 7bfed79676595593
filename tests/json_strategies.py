"""Hypothesis strategies for JSON text of every shape, shared by the fuzz tests: wild
literals (NaN, 1e400, lone surrogates, NUL...) anywhere, and nesting far deeper than any
parser should follow."""

import json

from hypothesis import strategies as st

__all__ = ["WILD_LITERALS", "depths", "json_texts", "nested_texts"]

WILD_LITERALS = [
    *("NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e-400", "1" + "0" * 400),
    *('"\\ud800"', '"\\udfff"', '"a\\u0000b"', "9223372036854775808", "-0", "true", "null"),
    *('"2026-01-26T10:00:00Z"', '"0001-01-01T00:00:00+14:00"', '"9999-12-31T23:59:59-14:00"'),
]

scalar_texts = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)).map(
    lambda value: json.dumps(value, allow_nan=True)
)
key_texts = st.text(max_size=10).map(json.dumps) | st.sampled_from(
    ['"\\ud800"', '"\\udfff"', '"a\\u0000"', '"field_values"', '"title"']
)
json_texts = st.recursive(
    scalar_texts | st.sampled_from(WILD_LITERALS),
    lambda children: (
        st.lists(children, max_size=4).map(lambda items: f"[{', '.join(items)}]")
        | st.lists(st.tuples(key_texts, children), max_size=4).map(
            lambda members: "{" + ", ".join(f"{key}: {value}" for key, value in members) + "}"
        )
    ),
    max_leaves=12,
)
"""JSON text of any shape, with wild literals (NaN, 1e400, lone surrogates...) anywhere."""

depths = st.sampled_from([65, 330, 1000, 5000, 50_000]) | st.integers(min_value=60, max_value=3000)
nested_texts = st.tuples(depths, json_texts).map(
    lambda depth_inner: "[" * depth_inner[0] + depth_inner[1] + "]" * depth_inner[0]
)
