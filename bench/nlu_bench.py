"""NLU benchmark: our config.yml against Rasa's default pipeline, on the same data.

Two evaluations per config:
  * held-out file: train on all of data/nlu, test on tests/nlu/heldout.yml (never trained on);
  * split: a stratified 80/20 split of data/nlu (seeded), train on 80 %, test on 20 %.
Reported: intent macro-F1, category accuracy, per-category recall, training time, peak memory of
the training process. The table replaces the NLU section of docs/benchmarks.md.

Usage: .venv/bin/python bench/nlu_bench.py [--only ours|default] [--skip-split]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.benchmarks_doc import write_section  # noqa: E402
from bot.nlu.categories import Category, category_of
from bot.nlu.triage import triage_from_parse

CONFIGS = {
    "ours": ROOT / "config.yml",
    "default": ROOT / "bench" / "default_config.yml",
}
# heldout.yml was used for error analysis while the data grew; blind.yml was written by someone
# who saw neither the training data nor heldout.yml, and is the honest estimate.
HELD_OUT = {
    "heldout": ROOT / "tests" / "nlu" / "heldout.yml",
    "blind": ROOT / "tests" / "nlu" / "blind.yml",
}
EVALS = (*HELD_OUT, "split")

TRAIN_SNIPPET = """
import sys
from rasa.model_training import train_nlu
train_nlu(sys.argv[1], sys.argv[2], sys.argv[3], fixed_model_name="bench")
"""


def train(config: Path, nlu_data: Path, out_dir: Path) -> tuple[Path, float, float]:
    """Train in a child process; (model, seconds, peak RSS of the child in MiB)."""
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        # No training cache: every run measures a full training, as in a fresh clone.
        "RASA_MAX_CACHE_SIZE": "0",
    }
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", TRAIN_SNIPPET, str(config), str(nlu_data), str(out_dir)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"training {config.name} on {nlu_data} failed ({status})")
    return out_dir / "bench.tar.gz", seconds, usage.ru_maxrss / 1024


Example = tuple[str, str, frozenset]

# Entities the bench scores; order numbers, e-mails and phones are exact regexes.
SCORED_ENTITIES = ("product", "size", "colour", "quantity", "city")


def _gold_entities(example, synonyms: dict[str, str]) -> frozenset:
    return frozenset(
        (e["entity"], synonyms.get(str(e["value"]).lower(), str(e["value"]).lower()))
        for e in example.get("entities") or []
        if e["entity"] in SCORED_ENTITIES
    )


def load_examples(path: Path) -> list[Example]:
    """(text, intent, gold entities as (type, value) after our synonym mapping)."""
    from rasa.shared.nlu.training_data.loading import load_data

    synonyms = load_data(str(ROOT / "data" / "nlu")).entity_synonyms
    data = load_data(str(path))
    return [
        (e.get("text"), e.get("intent"), _gold_entities(e, synonyms)) for e in data.intent_examples
    ]


def split(source: Path, workdir: Path, seed: int = 13) -> tuple[Path, list[Example]]:
    """Stratified 80/20 split; writes the 80 % (synonyms, regexes, lookups kept) to train on."""
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    data = load_data(str(source))
    by_intent = defaultdict(list)
    for example in data.intent_examples:
        by_intent[example.get("intent")].append(example)
    rng = random.Random(seed)
    train_examples, test = [], []
    for intent in sorted(by_intent):
        examples = by_intent[intent][:]
        rng.shuffle(examples)
        cut = max(1, round(len(examples) * 0.2))
        test += [
            (e.get("text"), intent, _gold_entities(e, data.entity_synonyms)) for e in examples[:cut]
        ]
        train_examples += examples[cut:]
    subset = TrainingData(
        training_examples=train_examples,
        entity_synonyms=data.entity_synonyms,
        regex_features=data.regex_features,
        lookup_tables=data.lookup_tables,
    )
    path = workdir / "train80.yml"
    path.write_text(subset.nlu_as_yaml(), encoding="utf-8")
    return path, test


def evaluate(model: Path, examples: list[Example]) -> dict:
    from rasa.core.agent import Agent
    from sklearn.metrics import f1_score

    agent = Agent.load(str(model))
    loop = asyncio.new_event_loop()
    gold, pred = [], []
    per_cat = defaultdict(lambda: [0, 0])
    tp = fp = fn = 0
    start = time.perf_counter()
    for text, intent, gold_entities in examples:
        result = triage_from_parse(text, loop.run_until_complete(agent.parse_message(text)))
        found = {
            (e["entity"], str(e["value"]).lower())
            for e in result.entities
            if e["entity"] in SCORED_ENTITIES
        }
        tp += len(found & gold_entities)
        fp += len(found - gold_entities)
        fn += len(gold_entities - found)
        gold.append(intent)
        pred.append(result.intent or "none")
        cat = category_of(intent).value
        per_cat[cat][1] += 1
        per_cat[cat][0] += int(result.category == cat)
    parse_ms = (time.perf_counter() - start) * 1000 / len(examples)
    loop.close()
    labels = sorted(set(gold))
    correct_cat = sum(c for c, _ in per_cat.values())
    return {
        "n": len(examples),
        "intent_macro_f1": f1_score(gold, pred, labels=labels, average="macro", zero_division=0),
        "intent_accuracy": sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold),
        "category_accuracy": correct_cat / len(examples),
        "category_recall": {c: ok / n for c, (ok, n) in sorted(per_cat.items())},
        "entity_f1": 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else float("nan"),
        "parse_ms": parse_ms,
        "errors": [(t, g, p) for (t, g, _), p in zip(examples, pred, strict=True) if g != p],
    }


def run(name: str, config: Path, workdir: Path, do_split: bool) -> dict:
    result = {"config": name}
    model, seconds, rss = train(config, ROOT / "data" / "nlu", workdir / f"{name}-full")
    result["train_s"], result["train_peak_mib"] = seconds, rss
    for key, path in HELD_OUT.items():
        result[key] = evaluate(model, load_examples(path))
    if do_split:
        train_path, test = split(ROOT / "data" / "nlu", workdir)
        model, _, _ = train(config, train_path, workdir / f"{name}-split")
        result["split"] = evaluate(model, test)
    print(
        json.dumps({k: v for k, v in result.items()}, default=str)[:2000],
        file=sys.stderr,
    )
    return result


def table(results: list[dict]) -> str:
    cats = [c.value for c in Category if c is not Category.OTHER] + [Category.OTHER.value]
    head = (
        "| config | eval | n | intent macro-F1 | intent acc. | category acc. | "
        + " | ".join(f"{c} recall" for c in cats)
        + " | entity F1 | parse ms/msg | train s | train peak MiB |"
    )
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        for key in EVALS:
            if key not in r:
                continue
            e = r[key]
            recall = " | ".join(f"{e['category_recall'].get(c, float('nan')):.3f}" for c in cats)
            lines.append(
                f"| {r['config']} | {key} | {e['n']} | {e['intent_macro_f1']:.3f} | "
                f"{e['intent_accuracy']:.3f} | {e['category_accuracy']:.3f} | {recall} | "
                f"{e['entity_f1']:.3f} | {e['parse_ms']:.1f} | {r['train_s']:.0f} | "
                f"{r['train_peak_mib']:.0f} |"
            )
    return "\n".join(lines)


RESULTS_JSON = ROOT / "docs" / "nlu-bench.json"


def merge_previous(results: list[dict]) -> list[dict]:
    """Keep the last measured results of configs not run this time (``--only``)."""
    previous = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else []
    ran = {r["config"] for r in results}
    merged = [r for r in previous if r["config"] not in ran] + results
    order = list(CONFIGS)
    merged.sort(key=lambda r: order.index(r["config"]) if r["config"] in order else len(order))
    RESULTS_JSON.write_text(json.dumps(merged, indent=1, ensure_ascii=False, default=str))
    return merged


def write_doc(results: list[dict]) -> None:
    cpu = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    write_section(
        "nlu-bench",
        [
            f"Measured {time.strftime('%Y-%m-%d')} on {cpu} by `make bench-nlu`.",
            (
                "`heldout` and `blind`: trained on all of `data/nlu/`, tested on "
                "`tests/nlu/heldout.yml` and `tests/nlu/blind.yml`. `heldout` has been used for "
                "error analysis while the training data grew, so it flatters us; `blind` was "
                "written by someone who saw neither the training data nor `heldout`, and is the "
                "honest estimate. `split`: stratified 80/20 split of `data/nlu/` (seed 13). "
                "Training time and peak memory are for the full-data NLU training (spaCy model "
                "load included)."
            ),
            "",
            table(results),
            "",
            *[
                line
                for r in results
                if r["config"] == "ours"
                for key in HELD_OUT
                if key in r
                for line in (
                    "",
                    f"`{key}` errors of `ours` (text → expected / predicted):",
                    "",
                    *(f"- {t!r}: {g} / {p}" for t, g, p in r[key]["errors"]),
                )
            ],
        ],
        heading="## NLU",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=sorted(CONFIGS))
    parser.add_argument("--skip-split", action="store_true")
    args = parser.parse_args()
    names = [args.only] if args.only else list(CONFIGS)
    with tempfile.TemporaryDirectory(prefix="nlu-bench-") as tmp:
        results = [run(n, CONFIGS[n], Path(tmp), not args.skip_split) for n in names]
    results = merge_previous(results)
    write_doc(results)
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
