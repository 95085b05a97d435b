"""docs/spec.md, the spec reference: ``python -m archspec.spec.reference > docs/spec.md``.

The field tables come from the JSON Schema (:mod:`archspec.spec.schema`), itself generated from the
pydantic models, so a field's type, range, default and description are written once, in the model.
The prose around them (the format's rules, variants, the width multiplier, noqa) is kept here, and
so is :data:`ERROR_CODES`, the table of spec-error codes that ``archspec rule E1xx`` also prints; a
test checks it against the codes the loader, the models and the block families raise.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from archspec.blocks import FAMILIES
from archspec.core.norm import DEFAULT_EPS, DEFAULT_MOMENTUM

#: code → (where it is raised, title, what it means and what to do)
ERROR_CODES: dict[str, tuple[str, str, str]] = {
    "E100": ("loader", "file not found or unreadable",
             "The path does not exist, cannot be read, or is not a regular file: a directory, "
             "a FIFO, a device or a socket is refused at once, never opened for a blocking "
             "read. The same holds for a target file, a pyproject.toml and a `.pt` checkpoint."),
    "E101": ("loader", "not UTF-8 text",
             "An invalid UTF-8 byte, a UTF-16 file, a NUL or another control character. The "
             "position is the first offending byte."),
    "E102": ("loader", "empty document",
             "Nothing in the file, only comments, or a document that is `null`."),
    "E103": ("loader", "YAML syntax error",
             "Includes undefined aliases, duplicate anchors, tabs used for indentation and "
             "every directive except `%YAML 1.2` (so `%YAML 1.1` and `%TAG` too, located at the "
             "directive); the fix names the commonest cause."),
    "E104": ("loader", "more than one YAML document",
             "A spec is exactly one document; the position is where the second one starts."),
    "E105": ("loader", "top level is not a mapping",
             "The file holds a list or a scalar instead of `key: value` lines."),
    "E106": ("loader", "duplicate key",
             "A key appears twice in one mapping (quoted and plain spellings are the same key); "
             "the position is the second occurrence."),
    "E107": ("loader", "explicit YAML tag",
             "`!!python/...`, `!foo`, `!!int` and the like: a spec is plain data. Only `!!str`, "
             "`!!map` and `!!seq`, which change nothing, are tolerated."),
    "E108": ("loader", "too many YAML nodes, or a recursive alias",
             "More than 100,000 keys and values: written out, or after expanding aliases (an "
             "alias bomb); or an anchor that contains an alias to itself."),
    "E109": ("loader", "nesting too deep", "More than 50 levels of nested mappings and lists."),
    "E110": ("loader", "non-finite number",
             "`.inf`, `-.inf`, `.nan`, a float that overflows (`1e999`), or a decimal integer "
             "of more than 4,300 digits (Python reads no more)."),
    "E111": ("loader", "YAML 1.1 boolean word",
             "`yes`, `no`, `on`, `off`, `y`, `n` (any case) unquoted: write `true`/`false`, or "
             "quote the word if you mean the string."),
    "E112": ("loader", "unusable mapping key",
             "A key that is a mapping or a list (`? ...`), or an empty key."),
    "E113": ("loader", "file larger than 1 MiB", "No spec comes anywhere near this size."),
    "E120": ("schema", "unknown key",
             "A key the format does not have at that place; the fix suggests the nearest valid "
             "key (\"did you mean\"), or lists the valid ones. A key that is valid elsewhere (a "
             "block's `exp` dedented into its stage) is named with where it belongs."),
    "E121": ("schema", "wrong type",
             "A value of the wrong kind: a string where a number is needed, `1.0` for an "
             "integer (types are strict, nothing is coerced), a list for a mapping."),
    "E122": ("schema", "value not allowed",
             "Out of range (`out: 0`), not one of the allowed words (`act: swish`), an unknown "
             "block type, a malformed name, or a rule between fields (`exp` and `mid` both "
             "given, a stage with both `blocks` and a template or with neither, repeated stage "
             "names), or a number nothing would read: a stage's `out` on a stage with an "
             "explicit `blocks:` list (give each block its `out`, or use `width:`), or on a "
             "template of blocks without an `out` (pool, norm, act, dropout)."),
    "E123": ("schema", "missing key",
             "A required key is absent, e.g. a block without `block:`, `input` without "
             "`size`, a stage without `name`, an mmb without `out`; the position is the "
             "mapping that lacks it."),
    "E130": ("variants", "variant names a missing stage",
             "`variants.<name>.stages.<stage>` names no stage of the base network."),
    "E131": ("variants", "unknown variant",
             "`--variant` or `default_variant` names a variant the file does not define."),
    "E140": ("resolution", "attention heads do not divide the channels",
             "An `f: attn` block needs its input channels divisible by `dim_head` (heads = "
             "in / dim_head) and, unless `attn_pre`, the expanded width divisible by the heads."),
    "E141": ("resolution", "groups do not divide the channels",
             "A grouped conv needs `groups` to divide its input and output widths; an mmb's "
             "`groups` must divide its expanded width, `v_group` needs in and mid divisible by "
             "the heads. A number of groups is absolute: `width:` scales the channels, not the "
             "groups; write `groups: depthwise` for one group per (scaled) input channel."),
    "E142": ("resolution", "channels cannot be split or shuffled",
             "A ShuffleNet unit whose channels do not split into whole halves (odd channels), "
             "whose split leaves a branch empty, or whose output does not divide by the shuffle "
             "groups."),
    "E143": ("resolution", "shape cannot be produced",
             "The feature map collapses below 1×1 (too many strides for the input size), a "
             "spatial block follows a `linear`, or a `linear` gets a map larger than 1×1."),
    "E144": ("resolution", "impossible skip or stride",
             "`skip: true` where stride ≠ 1 or in ≠ out, `dw_skip` on a strided block, or a "
             "stride on an `f: ffn` block that has no spatial conv."),
    "E145": ("resolution", "parallel branches cannot merge",
             "`merge: add` needs every branch to end in the same shape, `merge: concat` the "
             "same height and width."),
    "E146": ("resolution", "expand: false with mid ≠ in",
             "Without the expansion conv the block's width stays its input width."),
    "E149": ("resolution", "later blocks not checked",
             "A note (info), not an error: a block failed and its own fields do not fix its "
             "output shape (a bad `out`, a collapsed map, a failed `parallel` branch), so the "
             "blocks after it in that network were not resolved. After a failed block whose "
             "shape is known, resolution carries on and reports the later blocks' errors too."),
    "E150": ("sizes", "network too large",
             "More than 10^9 parameters, more than 5,000 blocks in one network (every block of a "
             "`parallel` branch counted), `parallel` nested more than 16 deep, more than 100 "
             "variants, or more than 10,000 blocks over all variants: almost certainly a typo in "
             "a width or a depth. Blocks are counted before anything is resolved; the message "
             "points at the stage, block or variant that crosses the limit (docs/limits.md)."),
    "E151": ("sizes", "tensor too large",
             "A tensor of more than 2^31 elements per image: the input (pointing at "
             "`input.size`) or a block's output (pointing at its `out`)."),
    "E152": ("sizes", "too many problems",
             "A file has more than 100 problems: the first 100 are shown and this note counts "
             "the rest by code (docs/limits.md)."),
    "E160": ("noqa", "bad suppression",
             "A `noqa` entry names an unknown rule code, or gives no reason."),
    "E170": ("target", "unknown target",
             "`--target` (or `target` in `[tool.archspec]`) names no shipped target; give a "
             "shipped name or the path of a target file."),
    "E171": ("target", "unknown rule in a target or configuration",
             "A target file's or `[tool.archspec]`'s `rules:` table names a rule that does not "
             "exist."),
    "E172": ("target", "bad rule option",
             "A rule option in a target file or `[tool.archspec] rules` has the wrong type or "
             "range for that rule's `Options`."),
    "E173": ("target", "bad selector",
             "An entry of `select`/`ignore` in a target file or `[tool.archspec]` matches no "
             "rule code, prefix or name."),
    "E174": ("config", "bad `[tool.archspec]` table",
             "pyproject.toml cannot be read as TOML, or its `[tool.archspec]` table has an "
             "unknown key or a value of the wrong type."),
    "E190": ("build", "not enough memory to build",
             "`archspec build` (and `archspec.build()`) estimates the memory the build, its "
             "forward at the requested batch and input and the export will hold, and refuses "
             "before allocating when that exceeds the budget: `--max-memory` / `max_memory=`, "
             "else `ARCHSPEC_MAX_MEMORY`, else the memory available (MemAvailable, capped by "
             "the cgroup's limit). Lower the batch or input size, or set the budget "
             "(`--max-memory none` turns the check off)."),
}

#: Codes that are notes (severity info) beside the errors they explain: they never set the exit code.
NOTE_CODES = frozenset({"E149", "E152"})

GENERATED = ("<!-- Generated by `python -m archspec.spec.reference > docs/spec.md` from the "
             "pydantic models and archspec/spec/reference.py; edit those, not this file. -->")

INTRO = """\
# The spec format

An archspec spec is one YAML file describing a mobile vision network: its input, a stem, stages of
blocks, a head, and named variants. `archspec lint` validates it and checks it against the design
rules, `archspec profile` measures it, `archspec build` turns it into a `torch.nn.Module`.

```yaml
# yaml-language-server: $schema=../docs/archspec.schema.json
archspec: 1
name: tiny
input: {channels: 3, size: 32}
defaults:
  mmb: {expand_act: relu6, dw_act: relu6}      # keyed by block type
stem:
  - {block: conv, out: 16, k: 3, stride: 2}
stages:
  - name: s1
    out: 24
    depth: 2
    block: {block: mmb, exp: 4}                 # template for every block of the stage
    first: {stride: 2}                          # changes for the first (downsampling) block
  - name: s2
    blocks:                                     # or an explicit list
      - {block: mmb, out: 32, exp: 4, stride: 2}
      - {block: mmb, out: 32, exp: 4, f: attn, dim_head: 16, window: 4}
head:
  - {block: pool, global: true}
  - {block: linear, out: 10}
default_variant: base
variants:
  base: {}
  wide: {width: {mult: 1.5}}
  deep: {stages: {s1: {depth: 4}}}              # stages are addressed by name
```

The first line points editors that use the YAML language server at the
[JSON Schema](archspec.schema.json) (`archspec schema` regenerates it): keys complete, fields show
their description and default on hover, and unknown keys are flagged as you type.

Validation happens in two passes. Pass 1 checks the document as written, every variant merged onto
the base: every key known, every value of the right type and range. Pass 2, *resolution*, builds
each variant's blocks (defaults ⊕ template ⊕ stage width ⊕ `first`), checks each with its family's
full model, decides every number (widths, expanded widths, padding, shapes) and refuses what
cannot be built. Either pass reports *all* its problems at once, each at `file:line:col` with what
was expected and a fix; see [error codes](#error-codes). Precisely:

* pass 1 reports every problem of the base and of every variant; a variant that passes it is
  resolved even when another variant failed (`archspec lint`; `archspec.load` raises one
  `SpecError` with the pass-1 problems). A base network that fails pass 1 stops there: every
  variant inherits its mistake;
* resolution goes on after a block that fails, with the output shape the block's own fields fix
  (its `out`, `stride`, kernel; a pool's or activation's input shape), so a later block's error is
  reported too. Where those fields do not fix the shape (a bad `out`, a map collapsed below 1×1,
  a failed `parallel` branch) that network stops, with a note (E149, info) that the blocks after
  it were not checked. An error is never reported that only an earlier one caused;
* the blocks of a template stage that fail alike are one error naming them (`data.blocks`), and
  an error several variants share (a mistake in the base) is reported once, without a variant,
  naming the variants in `data.variants`.

## YAML as archspec reads it

* **YAML 1.2 numbers.** `1e-6` and `1.0e-6` are floats (YAML 1.1, and so PyYAML, reads `1e-6` as a
  string), `0o17` and `0x1F` are integers. `.inf` and `.nan` are refused (E110).
* **No guessing booleans.** `true`/`false` only; `yes`, `no`, `on`, `off`, `y`, `n` unquoted are
  errors (E111). Quote them to mean the string.
* **YAML 1.2 only.** The one directive accepted is `%YAML 1.2`; any other (`%YAML 1.1`, `%YAML 2.0`,
  `%TAG`, an unknown `%NAME`) is an error at the directive (E103). A spec needs no directive.
* **Strict types.** Nothing is coerced: `out: "32"` and `out: 32.0` are errors (E121), an integer
  is accepted where a number is expected (`exp: 4` is 4.0). A boolean is not an integer, also
  where only some integers are allowed: `archspec: true`, `archspec: 1.0` and a shuffle block's
  `stride: true` or `stride: 2.0` are E121 (`stride: 3` is E122, a value not allowed).
* **Plain data only.** No tags (`!!python/object`, E107), one document per file (E104), no
  duplicate keys (E106). Anchors and aliases work, with a bound on their expansion (E108).
* **Unknown keys are errors** (E120) with a "did you mean" suggestion, at every level: top level,
  blocks, norms, stages, variants; a key that belongs at another level (a block's key in its
  stage: check the indentation) says where.
* **Messages name blocks by block path** (`stages.s3[2].exp`); JSON also gives the document path
  where the value is written in `data.path` (`stages[2].blocks[2].exp`).
* **Limits.** At most 1 MiB, 100,000 YAML nodes, 50 levels of nesting, 5,000 blocks per network
  (every block of a `parallel` branch counted), 100 variants and 10,000 blocks over all variants,
  widths of 1,000,000 channels, `width.mult` from 1/64 to 16, 10^9 parameters, 2^31 elements per
  tensor; 100 problems reported per file. Each is checked before the work it bounds, with a
  located message: see [limits.md](limits.md).

## How a block gets its fields

Every block names its family with `block:`. Its fields come from up to four layers, later ones
winning, merged key by key (nested mappings such as a norm `{type, eps}` merge too):

1. `defaults.<family>`: the file's defaults for that family, so a default never reaches a block
   that lacks the field;
2. the stage's `block:` template (every block of a template stage);
3. the stage's `out` (the output width of every block of the stage);
4. `first:` (the first block only). If `first` names another `block:` type, it replaces the
   template for that block (layers 1, 3, 4 of the new type).

Whatever is still unset takes the family's default from the tables below. A stage is *either* a
template (`depth` + `block`, optionally `out` and `first`) *or* an explicit `blocks:` list
(E122 if both or neither). A stage's `out` is for templates: on a stage with a `blocks:` list
it would be ignored, so it is E122, in the base and in a variant's override alike; change such a
stage's widths in its blocks (a variant overrides `blocks:` whole) or with `width:`. An `out` on a
template whose blocks have none (pool, norm, act, dropout) is E122 too: archspec never ignores a
number you wrote. A variant's override that gives a `blocks:` stage `depth`, `block` or `first`,
or a template stage `blocks:`, is E122 at the override: a mapping override merges and removes
nothing, so give the variant's `stages:` as a whole list to change a stage's kind. Stage names are
unique and name the stage in variants, in block paths (`stages.s3[2]`) and in messages.

Names, of the network, its stages and its variants, match `^[A-Za-z_][A-Za-z0-9_.-]{0,63}$`: a
letter or `_`, then at most 63 letters, digits, `_`, `.` or `-`. Anything else (a space, a
leading digit, a control character, a 65th character) is E122 at the name, with the pattern as
what was expected; names are printed in terminals and CI logs (decision 0010).

## Variants

`variants:` maps a name to overrides of the base network (the file without `variants` and
`default_variant`). An override is deep-merged onto the base:

* mappings merge key by key (`width: {mult: 0.5}` keeps `divisor`);
* lists and scalars replace (`head: [...]` replaces the whole head);
* `stages` is either a list, which replaces every stage, or a mapping from stage **name** to that
  stage's overrides (`stages: {s3: {out: 120, block: {dim_head: 20}}}`), merged the same way; a
  name that is not a stage of the base is E130.

Every variant is validated in pass 1 when the file loads, so an error in a variant nobody asked for
is still reported (with the variant named). `default_variant` picks the variant used when none is
given (`archspec profile`, `archspec build`, `archspec.analyze`); without it, the first variant.
`archspec lint` checks every variant.

## Width multiplier and rounding

`width: {mult: α, divisor: d}` scales channel counts: a written width `w` becomes
`make_divisible(w·α, d)`, which rounds to the nearest multiple of `d` but never goes more than 10 %
below `w·α` (torchvision's `_make_divisible`, so width-multiplied MobileNets reproduce torchvision's
channels exactly). Which widths scale is each block's `scaling` policy:

* `scaled` (default): `make_divisible(w·α, d)`;
* `fixed`: as written, whatever α is;
* `at_least`: scaled by `max(1, α)`, as MobileNetV2's last conv (1280 never shrinks).

Scaled widths are `out` of conv, mmb, shuffle and linear blocks and an mmb's absolute `mid`. An
mmb's `exp` is a ratio of its (already scaled) input width, rounded by `mid_round`; the SE width is
rounded by `se_round`. The classifier (the head's last `linear`) is never scaled: its width is
`out`, or `num_classes` when the caller gives one. Every change to a number the user wrote is
recorded; `archspec profile` lists them under "Roundings".

## Suppressing findings: `noqa`

A block or a stage may carry `noqa: {CODE: "reason"}` to suppress a lint finding right where it is
excused; a stage's `noqa` covers all its blocks. The reason is required and an unknown code is an
error (both E160), so every suppression documents itself; suppressions that suppress nothing are
reported by `archspec lint`.

```yaml
  - name: s4
    out: 168
    depth: 3
    noqa: {G1: "the expansion is kept for accuracy, as in the paper"}
    block: {block: mmb, exp: 3.5, f: attn, dim_head: 21}
```
"""

NORMS = f"""\
## Norms

A norm field (`norm`, `pre_norm`, `expand_norm`, `dw_norm`, `proj_norm`) takes a type, `bn`
(BatchNorm2d), `ln` (LayerNorm over channels) or `none`, or a mapping `{{type, eps, momentum}}`.
Unset `eps` and `momentum` take PyTorch's defaults: eps {DEFAULT_EPS["bn"]:g} (bn) and
{DEFAULT_EPS["ln"]:g} (ln), momentum {DEFAULT_MOMENTUM:g}.
"""

COMMON_FIELDS = ("noqa", "scaling")
SECTIONS = {"NetworkSpec": "top-level-keys", "InputSpec": "input", "WidthSpec": "width",
            "NormSpec": "norms", "StageSpec": "stages", "Block": "blocks",
            "Defaults": "how-a-block-gets-its-fields",
            "BlockOverride": "how-a-block-gets-its-fields", "Variant": "variants"}


# ------------------------------------------------------------------------------------ rendering


def _anchor_of(ref: str) -> str:
    name = ref.rsplit("/", 1)[-1]
    if name in SECTIONS:
        return SECTIONS[name]
    for family in FAMILIES.values():
        if name.startswith(family.model.__name__.removesuffix("Spec")):
            return f"block-{family.tag}"
    return name.lower()


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def type_text(schema: dict[str, Any]) -> str:
    """A property's type as people read it: ``integer ≥ 1``, `` `bn` or `ln` ``, ``list of 2 integers``."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        label = {"NormSpec": "norm mapping", "Block": "block", "InputSpec": "mapping",
                 "WidthSpec": "mapping", "StageSpec": "stage", "Defaults": "mapping",
                 "BlockOverride": "block fields"}.get(name, name)
        return f"[{label}](#{_anchor_of(schema['$ref'])})"
    if "anyOf" in schema or "oneOf" in schema:
        parts = [p for p in schema.get("anyOf", schema.get("oneOf", [])) if p != {"type": "null"}]
        if all("$ref" in p and "Layer" in p["$ref"] for p in parts) and parts:
            return "[block](#blocks)"
        return " or ".join(dict.fromkeys(type_text(p) for p in parts))
    if "const" in schema:
        return f"`{_yaml(schema['const'])}`"
    if "enum" in schema:
        return " ".join(f"`{_yaml(v)}`" for v in schema["enum"])
    kind = schema.get("type")
    if kind in ("integer", "number"):
        return " ".join([kind, *_range(schema)]).strip()
    if kind == "array":
        items = type_text(schema.get("items", {}))
        n_min, n_max = schema.get("minItems"), schema.get("maxItems")
        if n_min is not None and n_min == n_max:
            return f"list of {n_min} × {items}"
        return f"list of {items}" + (f" (at least {n_min})" if n_min else "")
    if kind == "object":
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            return f"mapping of name → {type_text(extra) if extra else 'anything'}"
        return "mapping"
    if kind == "boolean":
        return "bool"
    if kind == "string":
        return "name" if "pattern" in schema else "string"
    return "any"


def _range(schema: dict[str, Any]) -> list[str]:
    low = ("≥", schema["minimum"]) if "minimum" in schema else (
        (">", schema["exclusiveMinimum"]) if "exclusiveMinimum" in schema else None)
    high = ("≤", schema["maximum"]) if "maximum" in schema else (
        ("<", schema["exclusiveMaximum"]) if "exclusiveMaximum" in schema else None)
    parts = [f"{bound[0]} {_number(bound[1])}" for bound in (low, high) if bound]
    return [", ".join(parts)] if parts else []


def _yaml(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _cell(text: str) -> str:
    return " ".join(_rst_to_md(text).split()).replace("|", "\\|")


def field_table(schema: dict[str, Any], *, skip: tuple[str, ...] = (),
                required: tuple[str, ...] | None = None) -> str:
    """A markdown table of ``schema``'s properties: key, type, default, description."""
    must = set(schema.get("required", []) if required is None else required)
    rows = ["| key | type | default | description |", "|---|---|---|---|"]
    for name, prop in schema.get("properties", {}).items():
        if name in skip:
            continue
        if name in must:
            default = "**required**"
        elif "default" in prop:
            default = "unset" if prop["default"] is None else f"`{_yaml(prop['default'])}`"
        else:  # a default_factory: an empty list or mapping
            default = {"array": "`[]`", "object": "`{}`"}.get(prop.get("type", ""), "unset")
        rows.append(f"| `{name}` | {_cell(type_text(prop))} | {default} | "
                    f"{_cell(prop.get('description', ''))} |")
    return "\n".join(rows) + "\n"


def _rst_to_md(text: str) -> str:
    """The docstring dialect used in archspec (``code``, ``::`` blocks) as markdown."""
    text = text.replace("``", "`")
    lines, out, fence = text.splitlines(), [], False
    for i, line in enumerate(lines):
        if fence and line.strip() and not line.startswith("    "):
            out.append("```")
            fence = False
        if not fence and line.rstrip().endswith("::") and i + 1 < len(lines):
            out.append(line.rstrip()[:-1])
            out.append("")
            out.append("```text")
            fence = True
            continue
        out.append(line[4:] if fence else line)
    if fence:
        out.append("```")
    return "\n".join(out).replace("```text\n\n", "```text\n").replace("\n\n```\n", "\n```\n")


def _doc(obj: Any) -> str:
    import inspect

    return _rst_to_md(inspect.cleandoc(obj.__doc__ or "")).strip()


def _family_section(family: Any, schema: dict[str, Any]) -> str:
    """The family's module docstring (its first line without the tag), its model's docstring
    when that adds something, and its field table."""
    import importlib

    module_doc = _doc(importlib.import_module(family.model.__module__))
    module_doc = re.sub(rf"^`{re.escape(family.tag)}`: (\w)",
                        lambda m: m.group(1).upper(), module_doc)
    model_doc = _doc(family.model)
    parts = [f'<a id="block-{family.tag}"></a>\n\n### `{family.tag}`: {family.summary}\n']
    if module_doc:
        parts.append(module_doc + "\n")
    if model_doc and not _repeats(model_doc, module_doc):
        parts.append(model_doc + "\n")
    layer = schema["$defs"][f"{family.model.__name__.removesuffix('Spec')}Layer"]
    required = tuple(family.model.model_json_schema().get("required", ()))
    parts.append(field_table(layer, skip=("block", *COMMON_FIELDS), required=tuple(
        r for r in required if r != "block")))
    return "\n".join(parts)


def _repeats(text: str, other: str) -> bool:
    """Whether nearly every word of ``text`` is already in ``other``."""
    words, known = re.findall(r"\w+", text.lower()), set(re.findall(r"\w+", other.lower()))
    return sum(w in known for w in words) >= 0.8 * len(words)


def error_table() -> str:
    rows = ["| code | raised by | error | meaning |", "|---|---|---|---|"]
    for code, (where, title, meaning) in ERROR_CODES.items():
        rows.append(f"| `{code}` | {where} | {title} | {_cell(meaning)} |")
    return "\n".join(rows) + "\n"


def reference() -> str:
    """The whole of docs/spec.md."""
    from archspec.spec.models import network_model
    from archspec.spec.schema import json_schema

    schema = json_schema()
    defs = schema["$defs"]
    common = defs["ConvLayer"]
    parts = [
        GENERATED, "", INTRO,
        '<a id="top-level-keys"></a>\n\n## Top-level keys\n',
        _doc(network_model()) + "\n",
        field_table(schema),
        '<a id="input"></a>\n\n### `input`\n', _doc_of(defs["InputSpec"]), field_table(
            defs["InputSpec"]),
        '<a id="width"></a>\n\n### `width`\n', _doc_of(defs["WidthSpec"]), field_table(
            defs["WidthSpec"]),
        '<a id="stages"></a>\n\n### A stage\n', _doc_of(defs["StageSpec"]), field_table(
            defs["StageSpec"]),
        '<a id="norms"></a>\n\n' + NORMS, field_table(defs["NormSpec"]),
        '<a id="blocks"></a>\n\n## Blocks\n',
        "A block is a mapping whose `block:` names its family. Besides its own fields below, "
        "every block accepts:\n",
        field_table({"properties": {k: common["properties"][k] for k in COMMON_FIELDS}}),
    ]
    for family in FAMILIES.values():
        parts.append(_family_section(family, schema))
    parts += ['<a id="error-codes"></a>\n\n## Error codes\n',
              "Every spec error makes `archspec lint` exit with 2 and is reported at the YAML "
              "node that caused it (E17x: at the target file or `pyproject.toml` entry). "
              "`archspec rule E1xx` prints an entry of this table. Lint findings (G, S, H and A "
              "codes) are documented in [rules/](rules/).\n",
              error_table()]
    return "\n".join(p.rstrip("\n") + "\n" for p in parts)


def _doc_of(schema: dict[str, Any]) -> str:
    return _rst_to_md(schema.get("description", "")) + "\n"


def main() -> None:
    sys.stdout.write(reference())


if __name__ == "__main__":
    main()
