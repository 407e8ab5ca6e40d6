"""Load a profile's parameter set from `params/<analysis>.yaml`, apply overrides, validate it.

A file holds one mapping per profile. The `full` profile is complete; other profiles list only the
values they change and inherit the rest from `full` (or from the profile named by `extends:`), and a file may
omit a profile another analysis declares: there it is the `full` parameter set. A profile may also declare a
`grid:` of parameter sets to run besides its own (see `grid`); it is not inherited.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from . import analyses
from ..errors import ParameterError, ProfileError, did_you_mean, yaml_problem
from .schema import Param

BASE_PROFILE = "full"
RESERVED_KEYS = ("extends", "grid")  # profile keys that are not parameters


def params_file(analysis: str) -> Path:
    return analyses.get(analysis).params_file


def read_profiles(analysis: str) -> dict[str, dict[str, Any]]:
    path = params_file(analysis)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError as exc:
        raise ParameterError(f"{path} is missing; restore it from git (`git checkout -- {path.name}`).") from exc
    except yaml.YAMLError as exc:
        raise ParameterError(f"{path}: not valid YAML at {yaml_problem(exc)}; fix the syntax there.") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise ParameterError(f"{path} must map profile names to parameter mappings, e.g. 'full: {{epochs: 50}}'.")
    if BASE_PROFILE not in data:
        raise ParameterError(f"{path} has no '{BASE_PROFILE}' profile, which the others inherit from.")
    return data


def split_overrides(text: str) -> list[str]:
    """'epochs=3 hidden=[8, 4]' -> ['epochs=3', 'hidden=[8, 4]']: splits only at spaces before 'key='."""
    return [part for part in re.split(r"\s+(?=[A-Za-z_]\w*=)", text.strip()) if part]


def overrides_file(path: str) -> list[str]:
    """A YAML file of overrides — `epochs: 3` lines, or papermill's `params: {epochs: 3}` — as 'key=value' strings."""
    import json

    try:
        data = yaml.safe_load(Path(path).read_text())
    except OSError as exc:
        raise ParameterError(f"-f {path}: cannot read it ({exc.strerror}); give a YAML file of overrides.") from None
    except yaml.YAMLError as exc:
        raise ParameterError(f"-f {path}: not valid YAML ({yaml_problem(exc)}).") from None
    if isinstance(data, dict) and set(data) == {"params"} and isinstance(data["params"], dict):
        data = data["params"]  # papermill's parameters file
    if not isinstance(data, dict):
        raise ParameterError(f"-f {path}: expected a mapping of parameter names to values, e.g. 'epochs: 3'.")
    return [f"{k}={json.dumps(v)}" for k, v in data.items()]


def parse_override(text: str) -> tuple[str, Any]:
    """'epochs=3' -> ('epochs', 3); the value is read as YAML so lists and numbers keep their type."""
    if "=" not in text:
        raise ParameterError(f"override '{text}' must look like key=value, e.g. -p epochs=3")
    key, raw = text.split("=", 1)
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ParameterError(f"override '{text}': the value is not valid YAML ({yaml_problem(exc)}); "
                             f"lists look like -p hidden=[64,32], strings need no quotes") from None
    return key.strip(), value


# What a value of each kind looks like on the command line, for the type errors.
KIND_EXAMPLES = {"int": "3", "int_or_null": "3 or null", "float": "0.001", "str": "word", "bool": "true",
                 "int_list": "[64,32]", "str_list": "[a,b]", "float_list": "[0.7,0.8]"}


def _example(name: str, spec: Param) -> str:
    if spec.options:
        value = spec.options[0] if spec.kind == "str" else "[" + ",".join(spec.options[:2]) + "]"
    else:
        value = KIND_EXAMPLES.get(spec.kind, "...")
    return f"e.g. -p {name}={value}"


def _check_options(name: str, spec: Param, value: Any, origin: str) -> None:
    """A misspelt choice is reported as such, before the value's type (so 'decoders=bernouli' reads as a typo)."""
    given = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    for v in given:
        if isinstance(v, str) and v not in spec.options:
            raise ParameterError(f"{origin}: '{v}' is not a value of '{name}'{did_you_mean(v, spec.options)}; "
                                 f"choose from {', '.join(spec.options)}")


def _coerce(name: str, spec: Param, value: Any, origin: str) -> Any:
    def bad(expected: str) -> ParameterError:
        return ParameterError(f"{origin}: parameter '{name}' must be {expected}, got {value!r}; {_example(name, spec)}")

    if spec.options:
        _check_options(name, spec, value, origin)

    is_int = isinstance(value, int) and not isinstance(value, bool)
    if spec.kind == "int" and not is_int:
        raise bad("an integer")
    if spec.kind == "int_or_null" and not (value is None or is_int):
        raise bad("an integer or null")
    if spec.kind == "float":
        if isinstance(value, str):  # YAML 1.1 reads '1e-3' (no dot) as a string
            try:
                value = float(value)
            except ValueError:
                raise bad("a finite number") from None
        if not (is_int or isinstance(value, float)) or not math.isfinite(value):
            raise bad("a finite number")
        value = float(value)
    if spec.kind == "str" and not isinstance(value, str):
        raise bad("a string")
    if spec.kind == "bool" and not isinstance(value, bool):
        raise bad("true or false")
    if spec.kind == "int_list":
        if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise bad("a list of integers")
    if spec.kind == "str_list" and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
        raise bad("a list of strings")
    if spec.kind == "float_list":
        if not isinstance(value, list) or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            raise bad("a list of numbers")
        value = [float(v) for v in value]
    if not spec.check(value):
        raise ParameterError(f"{origin}: parameter '{name}' = {value!r} is out of range; it must be {spec.rule}")
    return value


def validate(analysis: str, values: dict[str, Any], origin: str, profile: str = BASE_PROFILE) -> dict[str, Any]:
    """Check every key against the schema; returns the coerced parameters in schema order. `profile` goes into
    the command an error suggests."""
    spec = analyses.get(analysis)
    schema = spec.schema
    unknown = sorted(set(values) - set(schema))
    if unknown:
        hints = "".join(did_you_mean(u, schema) for u in unknown)
        listing = f"vaereport params {analysis}" + (f" --profile {profile}" if profile != BASE_PROFILE else "")
        raise ParameterError(f"{origin}: unknown parameter(s) {', '.join(unknown)} for {analysis}{hints}; "
                             f"`{listing}` lists the valid names")
    missing = [k for k in schema if k not in values]
    if missing:
        raise ParameterError(f"{origin}: missing parameter(s) {', '.join(missing)}; add them to the full profile")
    coerced = {k: _coerce(k, schema[k], values[k], origin) for k in schema}
    problem = spec.constraints(coerced) if spec.constraints else None
    if problem:
        raise ParameterError(f"{origin}: {problem}")
    return coerced


def known_profiles() -> list[str]:
    """Every profile some analysis's parameter file declares, in first-seen order."""
    seen: dict[str, None] = {}
    for a in analyses.existing():
        if a.params_file.is_file():
            seen.update(dict.fromkeys(read_profiles(a.name)))
    return list(seen)


def check_profile_exists(profile: str) -> None:
    """Raise `ProfileError` (before a command creates anything under build/) if no parameter file declares it."""
    known = known_profiles()
    if profile not in known:
        raise ProfileError(f"unknown profile '{profile}'{did_you_mean(profile, known)}; available: {', '.join(known)} "
                           f"(or add a '{profile}:' section to a params/<analysis>.yaml)")


def _check_profile(analysis: str, profiles: dict, profile: str) -> None:
    if profile not in profiles and profile not in known_profiles():
        raise ProfileError(
            f"unknown profile '{profile}' for {analysis}{did_you_mean(profile, profiles)}; available: "
            f"{', '.join(profiles)} (or add a '{profile}:' section to {params_file(analysis)})"
        )


def profile_values(analysis: str, profile: str) -> dict[str, Any]:
    """The profile's parameter values (unvalidated): `full`, then the `extends:` chain, then its own."""
    profiles = read_profiles(analysis)
    chain, name = [], profile
    while name != BASE_PROFILE:
        _check_profile(analysis, profiles, name)
        if name in chain:
            raise ParameterError(f"{params_file(analysis)}: profiles extend each other in a loop: {' -> '.join(chain + [name])}.")
        chain.append(name)
        name = profiles.get(name, {}).get("extends", BASE_PROFILE)
    values = {k: v for k, v in profiles[BASE_PROFILE].items() if k not in RESERVED_KEYS}
    for name in reversed(chain):
        values.update({k: v for k, v in profiles.get(name, {}).items() if k not in RESERVED_KEYS})
    return values


def profile_grid(analysis: str, profile: str) -> Any:
    """The `grid:` the profile declares for `analysis` (None if it declares none)."""
    profiles = read_profiles(analysis)
    _check_profile(analysis, profiles, profile)
    return profiles.get(profile, {}).get("grid")


def load_params(analysis: str, profile: str, overrides: list[str] | dict[str, Any] | None = None) -> dict[str, Any]:
    """The validated parameter set of `analysis` under `profile`, with `overrides` applied last."""
    values = profile_values(analysis, profile)
    validate(analysis, values, f"{params_file(analysis).name} [{profile}]")
    if isinstance(overrides, dict):
        pairs = list(overrides.items())
    else:
        pairs = [parse_override(o) for o in overrides or []]
    for key, value in pairs:
        values[key] = value
    return validate(analysis, values, "override" if pairs else f"{params_file(analysis).name} [{profile}]", profile)
