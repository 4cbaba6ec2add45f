#!/usr/bin/env python3
"""Validate event payload samples against the published event JSON Schemas.

Usage: validate-event-schemas.py SAMPLES_DIR SCHEMAS_DIR

SAMPLES_DIR holds one payload per event type and schema version, named
``<type>.v<version>.json`` (for example ``sales.OpportunityStageChanged.v1.json``).
SCHEMAS_DIR holds ``<type>.v<version>.schema.json`` (JSON Schema draft 2020-12).

Fails (exit 1), printing every problem, when a schema is itself invalid, a sample does not
validate, an event type/version has no schema, or a schema has no event type/version.
"""
import json
import re
import sys
from pathlib import Path

from jsonschema import Draft202012Validator

SAMPLE_NAME = re.compile(r"^(?P<type>[a-z]+\.[A-Z][A-Za-z]+)\.v(?P<version>[1-9][0-9]*)\.json$")
SCHEMA_NAME = re.compile(r"^(?P<type>[a-z]+\.[A-Z][A-Za-z]+)\.v(?P<version>[1-9][0-9]*)\.schema\.json$")


def load_named(directory, pattern, kind, failures):
    found = {}
    for path in sorted(Path(directory).iterdir()):
        if not path.is_file():
            continue
        match = pattern.match(path.name)
        if not match:
            failures.append(f"{path}: not a {kind} file name")
            continue
        try:
            found[(match["type"], int(match["version"]))] = (path, json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as error:
            failures.append(f"{path}: cannot read {kind}: {error}")
    return found


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    samples_dir, schemas_dir = argv[1], argv[2]
    failures = []
    samples = load_named(samples_dir, SAMPLE_NAME, "sample", failures)
    schemas = load_named(schemas_dir, SCHEMA_NAME, "schema", failures)

    validators = {}
    for key, (path, schema) in schemas.items():
        try:
            Draft202012Validator.check_schema(schema)
        except Exception as error:  # SchemaError, with a readable message
            failures.append(f"{path}: invalid schema: {getattr(error, 'message', error)}")
            continue
        for required in ("$id", "title", "description"):
            if required not in schema:
                failures.append(f"{path}: schema lacks {required}")
        validators[key] = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)

    for key, (path, payload) in samples.items():
        if key not in schemas:
            failures.append(f"{key[0]} v{key[1]}: no schema (expected {key[0]}.v{key[1]}.schema.json)")
            continue
        validator = validators.get(key)
        if validator is None:
            continue
        for error in sorted(validator.iter_errors(payload), key=lambda e: list(e.absolute_path)):
            pointer = "/" + "/".join(str(p) for p in error.absolute_path)
            failures.append(f"{key[0]} v{key[1]}: sample {path.name} at {pointer}: {error.message}")

    for key, (path, _) in schemas.items():
        if key not in samples:
            failures.append(f"{path}: schema has no event type (no sample for {key[0]} v{key[1]})")

    for failure in failures:
        print(failure)
    if failures:
        print(f"{len(failures)} problem(s); {len(samples)} samples, {len(schemas)} schemas", file=sys.stderr)
        return 1
    print(f"ok: {len(samples)} samples valid against {len(schemas)} schemas")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
