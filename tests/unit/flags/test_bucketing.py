"""fractional bucketing: flagd testbed vectors, the reference implementation, distribution."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import cbor2
import mmh3
import pytest
from openfeature.contrib.tools.flagd.core.targeting.custom_ops import fractional as reference

from sluicegate.flags import Bucketing, FlagDefinitionError, Reason, compile_flag_set
from sluicegate.flags.bucketing import Distribution
from sluicegate.flags.cbor import encode_canonical, normalize_numbers

SUITS = ["clubs", "diamonds", "hearts", "spades"]


def _suits_flag(seed: Any) -> dict[str, Any]:
    return {
        "state": "ENABLED",
        "variants": {s: s for s in [*SUITS, "wild"]},
        "defaultVariant": "wild",
        "targeting": {"fractional": [seed, *([s, 25] for s in SUITS)]},
    }


DEFINITION = {
    "flags": {
        "fractional-flag": _suits_flag({"cat": [{"var": "$flagd.flagKey"}, {"var": "user.name"}]}),
        "fractional-flag-shorthand": {
            "state": "ENABLED",
            "variants": {"heads": "heads", "tails": "tails", "draw": "draw"},
            "defaultVariant": "draw",
            "targeting": {"fractional": [["heads"], ["tails", 1]]},
        },
        "fractional-flag-A-shared-seed": _suits_flag(
            {"cat": ["shared-seed", {"var": "user.name"}]}
        ),
        "fractional-hash-edge-flag": {
            "state": "ENABLED",
            "variants": {"lower": "lower", "upper": "upper"},
            "defaultVariant": "lower",
            "targeting": {"fractional": [{"var": "targetingKey"}, ["lower", 50], ["upper", 50]]},
        },
    }
}

# Vectors from open-feature/flagd-testbed gherkin/targeting.feature (@fractional-v1 / -v2).
NAMES = ["jack", "queen", "ten", "nine", "3"]
TESTBED: dict[Bucketing, dict[str, Any]] = {
    Bucketing.LEGACY: {
        "fractional-flag": ["spades", "clubs", "diamonds", "hearts", "diamonds"],
        "shared": {"jack": "hearts", "queen": "spades", "ten": "hearts", "nine": "diamonds"},
    },
    Bucketing.HIGH_PRECISION: {
        "fractional-flag": ["hearts", "spades", "clubs", "diamonds", "clubs"],
        "shared": {"seven": "hearts", "eight": "diamonds", "nine": "clubs", "two": "spades"},
    },
}


@pytest.mark.parametrize("algorithm", [Bucketing.LEGACY, Bucketing.HIGH_PRECISION])
def test_testbed_vectors(algorithm: Bucketing) -> None:
    flag_set = compile_flag_set(DEFINITION, bucketing=algorithm.value)
    expected = TESTBED[algorithm]
    got = [flag_set.evaluate("fractional-flag", {"user": {"name": n}}).value for n in NAMES]
    assert got == expected["fractional-flag"]
    for name, suit in expected["shared"].items():
        assert (
            flag_set.evaluate("fractional-flag-A-shared-seed", {"user": {"name": name}}).value
            == suit
        )
    shorthand = [
        flag_set.evaluate("fractional-flag-shorthand", {"targetingKey": k}).value
        for k in ("jon@company.com", "jane@company.com")
    ]
    assert shorthand == ["heads", "tails"]


def test_hash_edge_vectors_high_precision() -> None:
    # keys whose murmur3 hash is 0, 1, 2**31-1, 2**31 and 2**32-1 (testbed @fractional-v2)
    flag_set = compile_flag_set(DEFINITION, bucketing="v2")
    keys = {
        "ejOoVL": "lower",
        "bY9fO-": "lower",
        "SI7p-": "lower",
        "6LvT0": "upper",
        "ceQdGm": "upper",
    }
    for key, side in keys.items():
        assert flag_set.evaluate("fractional-hash-edge-flag", {"targetingKey": key}).value == side


@pytest.mark.parametrize(
    "seed",
    ["user-1", "", 42, -7, 1.5, 2.0, True, None, {"b": 1, "a": [1, 2.5]}, "ünïcode"],
)
def test_cbor_matches_the_reference_operator(seed: Any) -> None:
    buckets = [["a", 3], ["b", 0], ["c", 5], ["d", 1]]
    dist = Distribution(Bucketing.CBOR, "flag", ["a", "b", "c", "d"], [3, 0, 5, 1])
    data = {"$flagd": {"flagKey": "flag"}, "targetingKey": "tk"}
    assert dist.by_value(seed) == reference(data, seed, *buckets)


def test_cbor_shorthand_matches_the_reference_operator() -> None:
    dist = Distribution(Bucketing.CBOR, "flag", ["a", "b"], [1, 1])
    for i in range(200):
        data = {"$flagd": {"flagKey": "flag"}, "targetingKey": f"user-{i}"}
        assert dist.by_targeting_key(f"user-{i}") == reference(data, ["a", 1], ["b", 1])


def test_cbor_encoding_matches_rfc8949_examples_and_cbor2() -> None:
    assert encode_canonical(0) == bytes.fromhex("00")
    assert encode_canonical(1000000) == bytes.fromhex("1a000f4240")
    assert encode_canonical(-1000) == bytes.fromhex("3903e7")
    assert encode_canonical(1.5) == bytes.fromhex("f93e00")
    assert encode_canonical(100000.0) == bytes.fromhex("fa47c35000")
    assert encode_canonical(1.1) == bytes.fromhex("fb3ff199999999999a")
    assert encode_canonical("IETF") == bytes.fromhex("6449455446")
    assert encode_canonical([1, [2, 3]]) == bytes.fromhex("8201820203")
    value = normalize_numbers({"zz": 2.0, "a": [None, True, 2**70, -(2**65)], "b": 65504.0})
    assert encode_canonical(value) == cbor2.dumps(value, canonical=True)


@pytest.mark.parametrize("algorithm", list(Bucketing))
def test_distribution_is_close_to_the_weights(algorithm: Bucketing) -> None:
    dist = Distribution(algorithm, "split", ["a", "b", "c"], [10, 30, 60])
    counts = Counter(dist.by_targeting_key(f"user-{i}") for i in range(20_000))
    assert set(counts) == {"a", "b", "c"}
    for name, share in (("a", 0.10), ("b", 0.30), ("c", 0.60)):
        assert abs(counts[name] / 20_000 - share) < 0.015


def test_sub_percent_weights_get_traffic_only_with_integer_bucketing() -> None:
    weights = [1, 999]
    precise = Distribution(Bucketing.CBOR, "rare", ["rare", "common"], weights)
    hits = sum(precise.by_targeting_key(f"u{i}") == "rare" for i in range(50_000))
    assert 20 <= hits <= 90  # 0.1% of 50k = 50


def test_bucketing_is_sticky_and_flag_salted() -> None:
    one = Distribution(Bucketing.CBOR, "one", ["a", "b"], [1, 1])
    two = Distribution(Bucketing.CBOR, "two", ["a", "b"], [1, 1])
    users = [f"user-{i}" for i in range(500)]
    assert [one.by_targeting_key(u) for u in users] == [one.by_targeting_key(u) for u in users]
    assert [one.by_targeting_key(u) for u in users] != [two.by_targeting_key(u) for u in users]


def test_bucketing_is_selectable_in_flag_set_metadata() -> None:
    doc = json.loads(json.dumps(DEFINITION))
    doc["metadata"] = {"sluicegate.bucketing": "legacy"}
    flag_set = compile_flag_set(doc)
    assert flag_set.bucketing is Bucketing.LEGACY
    got = [flag_set.evaluate("fractional-flag", {"user": {"name": n}}).value for n in NAMES]
    assert got == TESTBED[Bucketing.LEGACY]["fractional-flag"]
    assert compile_flag_set(doc, bucketing="v1").bucketing is Bucketing.LEGACY
    with pytest.raises(FlagDefinitionError):
        compile_flag_set(doc, bucketing="cbor")
    assert compile_flag_set(DEFINITION).bucketing is Bucketing.CBOR


def test_missing_targeting_key_falls_back_to_the_default_variant() -> None:
    flag_set = compile_flag_set(DEFINITION)
    for ctx in ({}, {"targetingKey": ""}):
        result = flag_set.evaluate("fractional-flag-shorthand", ctx)
        assert (result.variant, result.reason) == ("draw", Reason.DEFAULT)


def test_dynamic_buckets_and_weights() -> None:
    doc = {
        "flags": {
            "f": {
                "state": "ENABLED",
                "variants": {"red": 1, "blue": 2},
                "defaultVariant": "blue",
                "targeting": {
                    "fractional": [
                        {"var": "targetingKey"},
                        ["red", {"if": [{"==": [{"var": "tier"}, "premium"]}, 100, 0]}],
                        ["blue", 10],
                    ]
                },
            }
        }
    }
    flag_set = compile_flag_set(doc)
    for key in ("jon@company.com", "user1"):
        assert flag_set.evaluate("f", {"targetingKey": key, "tier": "premium"}).variant == "red"
        assert flag_set.evaluate("f", {"targetingKey": key, "tier": "basic"}).variant == "blue"


def _seeded(seed: Any) -> dict[str, Any]:
    return {
        "flags": {
            "f": {
                "state": "ENABLED",
                "variants": {"a": "A", "b": "B", "z": "Z"},
                "defaultVariant": "z",
                "targeting": {"fractional": [seed, ["a", 1], ["b", 1]]},
            }
        }
    }


@pytest.mark.parametrize("algorithm", ["legacy", "high-precision"])
def test_string_algorithms_fall_back_to_the_targeting_key_for_a_null_seed(algorithm: str) -> None:
    flag_set = compile_flag_set(_seeded({"var": "missing"}), bucketing=algorithm)
    shorthand = compile_flag_set(
        {
            "flags": {
                "f": {
                    **_seeded(None)["flags"]["f"],
                    "targeting": {"fractional": [["a", 1], ["b", 1]]},
                }
            }
        },
        bucketing=algorithm,
    )
    for i in range(50):
        ctx = {"targetingKey": f"user-{i}"}
        assert flag_set.evaluate("f", ctx).variant == shorthand.evaluate("f", ctx).variant
    # a non-string, non-null seed is not a bucketing value for the string algorithms
    assert compile_flag_set(_seeded(5), bucketing=algorithm).evaluate("f", {}).variant == "z"


def test_cbor_buckets_numbers_and_null_seed_gives_default() -> None:
    flag_set = compile_flag_set(_seeded({"var": "account"}))
    assert flag_set.evaluate("f", {}).reason is Reason.DEFAULT
    by_int = flag_set.evaluate("f", {"account": 12345}).variant
    assert flag_set.evaluate("f", {"account": 12345.0}).variant == by_int  # number normalisation
    seen = {flag_set.evaluate("f", {"account": n}).variant for n in range(40)}
    assert seen == {"a", "b"}


# The testbed's fractional-basic-flag (flags/custom-ops.json): 25 buckets of weight 4.
BASIC = {
    "flags": {
        "basic": {
            "state": "ENABLED",
            "variants": {f"bucket{i}": f"bucket{i}" for i in range(1, 26)},
            "defaultVariant": "bucket1",
            "targeting": {
                "fractional": [{"var": "hashing_input"}, *([f"bucket{i}", 4] for i in range(1, 26))]
            },
        }
    }
}


def _expected_bucket(value: Any) -> str:
    """Independent computation: cbor2's canonical encoding, murmur3, (hash * 100) >> 32."""
    hashed = mmh3.hash(cbor2.dumps(value, canonical=True), signed=False)
    return f"bucket{(hashed * 100 >> 32) // 4 + 1}"


@pytest.mark.parametrize(
    ("literal", "bucket"),
    [
        # flagd-testbed targeting.feature "Fractional operator with floats limits": 1e20 and -1e20
        # (flagd's Go server), which JavaScript's JSON.stringify writes as integer literals.
        ("100000000000000000000", "bucket19"),
        ("-100000000000000000000", "bucket25"),
        ("1e20", "bucket19"),
        # above 2**53 flagd's float64 rounds the literal: 2**53 + 1 hashes as 2**53
        ("9007199254740993", _expected_bucket(2**53)),
        # above 2**64 - 1 the float stays a float: CBOR float64 of 2.5e19
        ("25000000000000000000", _expected_bucket(2.5e19)),
    ],
)
def test_big_integer_literals_bucket_as_flagds_go_server(literal: str, bucket: str) -> None:
    flag_set = compile_flag_set(BASIC)
    context = json.loads(f'{{"hashing_input": {literal}}}')
    assert flag_set.evaluate("basic", context).value == bucket


def test_integers_within_float64_precision_are_unchanged() -> None:
    flag_set = compile_flag_set(BASIC)
    for value in (0, 23, 24, 2**31 - 1, -(2**31), 2**53 - 1, -(2**53)):
        got = flag_set.evaluate("basic", {"hashing_input": value}).value
        assert got == _expected_bucket(value), value
