"""The prose of docs/spec.md: the format's rules, variants, the width multiplier, norms and noqa.

Written here by hand (the field tables beside it are generated from the models, by
:mod:`archspec.spec.schema_markdown`); :mod:`archspec.spec.reference` puts the page together.
"""

from __future__ import annotations

from archspec.core.norm import DEFAULT_EPS, DEFAULT_MOMENTUM

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
(E127 if both or neither). A stage's `out` is for templates: on a stage with a `blocks:` list
it would be ignored, so it is E129, in the base and in a variant's override alike; change such a
stage's widths in its blocks (a variant overrides `blocks:` whole) or with `width:`. An `out` on a
template whose blocks have none (pool, norm, act, dropout) is E129 too: archspec never ignores a
number you wrote. A variant's override that gives a `blocks:` stage `depth`, `block` or `first`,
or a template stage `blocks:`, is E127 at the override: a mapping override merges and removes
nothing, so give the variant's `stages:` as a whole list to change a stage's kind. Stage names are
unique (E128) and name the stage in variants, in block paths (`stages.s3[2]`) and in messages.

Names, of the network, its stages and its variants, match `^[A-Za-z_][A-Za-z0-9_.-]{0,63}$`: a
letter or `_`, then at most 63 letters, digits, `_`, `.` or `-`. Anything else (a space, a
leading digit, a control character, a 65th character) is E125 at the name, with the pattern as
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

Scaled widths are the `out` of every block that has one and an mmb's absolute `mid`. An
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
