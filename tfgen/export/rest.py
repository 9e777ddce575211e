"""TF Serving's REST ``:predict`` JSON, for tfgen signatures (https://www.tensorflow.org/tfx/serving/api_rest).

TF Serving maps a JSON body onto a signature's named inputs in one of two formats:

- **columnar**: ``{"signature_name": S, "inputs": {name: value, ...}}`` (or ``"inputs": value``
  when the signature has one input). Each value is the whole tensor in nested lists; a scalar
  input (``seed``, ``num_samples``) is a bare number. The answer is ``{"outputs": {name: value}}``,
  or ``{"outputs": value}`` when the signature has one output.
- **row**: ``{"signature_name": S, "instances": [row, ...]}``, one row per example: an object
  ``{name: value}`` per row (or the bare value when there is one input). All rows must have the
  same shape; they are stacked along a new 0-th dimension, so every input must be batched (``[None,
  ...]``): ``log_prob``, ``encode``, ``critic`` - not ``sample``, whose inputs are scalars. The
  answer is ``{"predictions": [{name: value}, ...]}`` (bare values when there is one output);
  every output must then have the batch size as its 0-th dimension.

Values: integers (``uint8`` images as nested lists of ints in ``[0, 255]``, ``int32`` labels and
seeds) are JSON integers; floats are JSON numbers (``NaN``, ``Infinity``, ``-Infinity`` allowed;
an integer too large for float32 to hold exactly is refused); ``bool`` is ``true``/``false``;
strings are JSON strings, or ``{"b64": "<base64>"}`` for binary bytes. A tensor's shape is read
from the nesting (the first element of each list), and every list at one depth must have that
length. ``signature_name`` may be left out: ``serving_default``.

This module (a) builds example bodies from a signature's input specs (:func:`request_body`),
(b) decodes a body into named arrays by those rules and checks them against the specs
(:func:`decode_request`), and (c) encodes outputs as TF Serving answers them
(:func:`encode_response`; :func:`decode_response` reads an answer back). It mirrors the rules of
TF Serving's ``json_tensor.cc``; two deliberate differences: integers outside the input dtype's
range and inputs that do not fit the signature's shape are refused here, with a message naming
the expected spec (TF Serving would wrap the integer, and fail the shape when running the graph).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import tensorflow as tf

from tfgen.export.examples import all_batched

ROW, COLUMNAR = "row", "columnar"
DEFAULT_SIGNATURE = "serving_default"
_FLOAT_EXACT = {tf.float32: 2 ** 24, tf.float64: 2 ** 53, tf.float16: 2 ** 11}


def _spec_text(spec: tf.TensorSpec) -> str:
    return f"{spec.name} {spec.dtype.name} {spec.shape.as_list()}"


# -- arrays -> JSON values ------------------------------------------------------------------------

def _leaf_to_json(value: np.generic, dtype: tf.DType):
    if dtype == tf.string:
        return {"b64": base64.b64encode(bytes(value)).decode("ascii")}
    if dtype.is_floating:
        # The shortest decimal that reads back as the same float32 (as TF Serving writes it):
        # 0.1 rather than 0.10000000149011612. NaN and infinities stay (json writes NaN, Infinity).
        return float(np.format_float_positional(value, unique=True)) if np.isfinite(value) \
            else float(value)
    return bool(value) if dtype == tf.bool else int(value)


def to_json_value(array, dtype: tf.DType | None = None):
    """A numpy array (or scalar) as TF Serving writes a tensor: nested lists of JSON values."""
    array = np.asarray(array)
    dtype = dtype or tf.as_dtype(array.dtype)
    if array.ndim == 0:
        return _leaf_to_json(array[()], dtype)
    return [to_json_value(row, dtype) for row in array]


def request_body(signature_name: str, inputs: Mapping[str, Any], format: str = COLUMNAR) -> dict:
    """The ``:predict`` body that sends ``inputs`` (``{name: array}``) to ``signature_name``.

    ``COLUMNAR`` always works; ``ROW`` needs every input batched (the same 0-th dimension), and
    writes one ``{name: value}`` object per example."""
    arrays = {k: np.asarray(v) for k, v in inputs.items()}
    if format == COLUMNAR:
        return {"signature_name": signature_name,
                "inputs": {k: to_json_value(v) for k, v in arrays.items()}}
    if format != ROW:
        raise ValueError(f"format must be {ROW!r} or {COLUMNAR!r}; got {format!r}")
    sizes = {k: (v.shape[0] if v.ndim else None) for k, v in arrays.items()}
    if None in sizes.values() or len(set(sizes.values())) != 1 or not arrays:
        raise ValueError(f"the row format needs inputs that share a batch dimension; got "
                         f"{ {k: list(v.shape) for k, v in arrays.items()} } (use {COLUMNAR!r})")
    (n,) = set(sizes.values())
    return {"signature_name": signature_name,
            "instances": [{k: to_json_value(v[i]) for k, v in arrays.items()} for i in range(n)]}


def dumps(body) -> str:
    """``body`` as one line of JSON (``NaN``/``Infinity`` written as TF Serving accepts them)."""
    return json.dumps(body, separators=(", ", ": "))


# -- JSON values -> arrays ------------------------------------------------------------------------

def _shape_of(value) -> list[int]:
    """The dense shape a nested list implies (from the first element of each list)."""
    shape = []
    while isinstance(value, list):
        shape.append(len(value))
        if not value:
            break
        value = value[0]
    return shape


def _is_b64(value) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("b64"), str)


def _leaf(value, dtype: tf.DType, where: str):
    def wrong():
        return ValueError(f"{where}: JSON value {json.dumps(value)} is not of expected type "
                          f"{dtype.name}")

    if dtype == tf.string:
        if _is_b64(value):
            try:
                return base64.b64decode(value["b64"], validate=True)
            except binascii.Error:
                raise ValueError(f"{where}: unable to base64-decode {value['b64']!r}") from None
        if isinstance(value, str):
            return value.encode("utf-8")
        raise wrong()
    if dtype == tf.bool:
        if isinstance(value, bool):
            return value
        raise wrong()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise wrong()
    if dtype.is_floating:
        if isinstance(value, int) and abs(value) > _FLOAT_EXACT.get(dtype, 2 ** 53):
            raise ValueError(f"{where}: cannot convert JSON value {value} to {dtype.name} without "
                             "loss of precision")
        return value
    if not isinstance(value, int):
        raise wrong()
    if not dtype.min <= value <= dtype.max:
        raise ValueError(f"{where}: {value} is outside the range of {dtype.name} "
                         f"[{dtype.min}, {dtype.max}]")
    return value


def _fill(value, shape: list[int], level: int, dtype: tf.DType, where: str, out: list) -> None:
    if not isinstance(value, list):
        if level != len(shape):
            raise ValueError(f"{where}: JSON value {json.dumps(value)[:40]} found at nesting depth "
                             f"{level}; expected depth {len(shape)} (shape {shape})")
        out.append(_leaf(value, dtype, where))
        return
    if level >= len(shape) or len(value) != shape[level]:
        raise ValueError(f"{where}: a list of {len(value)} at nesting depth {level} does not fit "
                         f"the shape {shape} its first elements imply (lists must be rectangular)")
    for item in value:
        _fill(item, shape, level + 1, dtype, where, out)


def from_json_value(value, dtype: tf.DType, where: str = "value") -> np.ndarray:
    """A JSON value (nested lists, a scalar, or ``{"b64": ...}``) as an array of ``dtype``."""
    shape = _shape_of(value)
    flat: list = []
    _fill(value, shape, 0, dtype, where, flat)
    np_dtype = object if dtype == tf.string else dtype.as_numpy_dtype
    return np.array(flat, dtype=np_dtype).reshape(shape)


def _checked(array: np.ndarray, spec: tf.TensorSpec, signature_name: str) -> np.ndarray:
    if not spec.shape.is_compatible_with(array.shape):
        raise ValueError(f"{signature_name} expects {_spec_text(spec)}; the body gives shape "
                         f"{list(array.shape)}")
    return array


def _rows_to_arrays(rows: list, specs: Mapping[str, tf.TensorSpec], where: str):
    """Row values of each input (``[{name: value}] or [value]``) stacked along a new axis."""
    names = sorted(specs)
    objects = isinstance(rows[0], dict) and not _is_b64(rows[0])
    if not objects and len(names) > 1:
        raise ValueError(f"{where}: 'instances' is a plain list, but the signature has several "
                         f"inputs {names}: send one object per row")
    columns: dict[str, list] = {name: [] for name in names}
    for i, row in enumerate(rows):
        is_object = isinstance(row, dict) and not _is_b64(row)
        if is_object != objects:
            raise ValueError(f"{where}: row {i} is {'an object' if is_object else 'a value'} but "
                             f"row 0 is {'an object' if objects else 'a value'}")
        items = row if objects else {names[0]: row}
        if sorted(items) != names:
            raise ValueError(f"{where}: row {i} has keys {sorted(items)}; expected {names}")
        for name, value in items.items():
            array = from_json_value(value, specs[name].dtype, f"{where} row {i} {name}")
            if columns[name] and array.shape != columns[name][0].shape:
                raise ValueError(f"{where}: row {i} {name} has shape {list(array.shape)}; row 0 "
                                 f"has {list(columns[name][0].shape)}")
            columns[name].append(array)
    return {name: np.stack(values) for name, values in columns.items()}


def _columns_to_arrays(value, specs: Mapping[str, tf.TensorSpec], where: str):
    names = sorted(specs)
    if not isinstance(value, dict) or _is_b64(value):
        if len(names) > 1:
            raise ValueError(f"{where}: 'inputs' is a plain value, but the signature has several "
                             f"inputs {names}: send an object {{name: value}}")
        value = {names[0]: value}
    missing = [n for n in names if n not in value]
    if missing:
        raise ValueError(f"{where}: missing named input(s) {missing} in 'inputs' (expected "
                         f"{names})")
    return {n: from_json_value(value[n], specs[n].dtype, f"{where} {n}") for n in names}


def decode_request(body: str | Mapping, input_specs: Mapping[str, Mapping[str, tf.TensorSpec]]
                   ) -> tuple[str, str, dict[str, np.ndarray]]:
    """Decode a ``:predict`` body by TF Serving's rules.

    Args:
      body: the JSON text or the parsed object.
      input_specs: ``{signature name: {input name: TensorSpec}}`` of the model (e.g.
        ``{m: exported.input_specs(m) for m in exported.signatures}``).

    Returns:
      ``(signature name, ROW or COLUMNAR, {input name: array})``, arrays of the specs' dtypes and
      shapes.

    Raises:
      ValueError: the body breaks the rules or does not fit the signature (the message says how).
    """
    if isinstance(body, (str, bytes)):
        body = json.loads(body)
    if not isinstance(body, Mapping):
        raise ValueError(f"the body must be a JSON object; got {type(body).__name__}")
    name = body.get("signature_name", DEFAULT_SIGNATURE)
    if not isinstance(name, str):
        raise ValueError(f"'signature_name' must be a string; got {json.dumps(name)}")
    if name not in input_specs:
        raise ValueError(f"no signature {name!r}; available: {sorted(input_specs)}")
    specs = input_specs[name]
    if ("instances" in body) == ("inputs" in body):
        raise ValueError("the body needs exactly one of 'instances' (row format) or 'inputs' "
                         f"(columnar format); got keys {sorted(body)}")
    if "instances" in body:
        rows = body["instances"]
        if not isinstance(rows, list) or not rows:
            raise ValueError(f"{name}: 'instances' must be a non-empty list of rows")
        format, arrays = ROW, _rows_to_arrays(rows, specs, name)
    else:
        format, arrays = COLUMNAR, _columns_to_arrays(body["inputs"], specs, name)
    return name, format, {k: _checked(v, specs[k], name) for k, v in arrays.items()}


# -- outputs <-> response -------------------------------------------------------------------------

def encode_response(outputs: Mapping[str, Any], format: str) -> dict:
    """``{name: array}`` outputs as TF Serving answers a ``format`` request: columnar ->
    ``{"outputs": {name: value}}`` (the bare value for one output); row -> ``{"predictions":
    [{name: value}, ...]}`` one object per example (bare values for one output)."""
    arrays = {k: np.asarray(outputs[k]) for k in sorted(outputs)}
    if not arrays:
        raise ValueError("cannot encode an empty output map")
    single = len(arrays) == 1
    if format == COLUMNAR:
        values = {k: to_json_value(v) for k, v in arrays.items()}
        return {"outputs": next(iter(values.values())) if single else values}
    if format != ROW:
        raise ValueError(f"format must be {ROW!r} or {COLUMNAR!r}; got {format!r}")
    sizes = {}
    for k, v in arrays.items():
        if v.ndim == 0:
            raise ValueError(f"row format: output {k} is a scalar (no batch dimension)")
        sizes[k] = v.shape[0]
    if len(set(sizes.values())) != 1:
        raise ValueError(f"row format: outputs have inconsistent batch sizes {sizes}")
    rows = [{k: to_json_value(v[i]) for k, v in arrays.items()}
            for i in range(next(iter(sizes.values())))]
    return {"predictions": [next(iter(r.values())) for r in rows] if single else rows}


def decode_response(body: str | Mapping, output_specs: Mapping[str, tf.TensorSpec]
                    ) -> dict[str, np.ndarray]:
    """Read a ``:predict`` answer (``"outputs"`` or ``"predictions"``) back into ``{name:
    array}`` of the output specs' dtypes."""
    if isinstance(body, (str, bytes)):
        body = json.loads(body)
    names = sorted(output_specs)
    if "outputs" in body:
        value = body["outputs"]
        value = {names[0]: value} if len(names) == 1 else value
        return {n: from_json_value(value[n], output_specs[n].dtype, n) for n in names}
    rows = body["predictions"]
    if not rows:
        return {n: np.zeros([0, *output_specs[n].shape[1:]], output_specs[n].dtype.as_numpy_dtype)
                for n in names}
    rows = [{names[0]: r} for r in rows] if len(names) == 1 else rows
    return {n: np.stack([from_json_value(r[n], output_specs[n].dtype, n) for r in rows])
            for n in names}


def example_bodies(signature_name: str, specs, inputs: Mapping[str, Any]) -> dict[str, dict]:
    """``{COLUMNAR: body}``, plus ``{ROW: body}`` when every input is batched."""
    bodies = {COLUMNAR: request_body(signature_name, inputs, COLUMNAR)}
    if all_batched(specs):
        bodies[ROW] = request_body(signature_name, inputs, ROW)
    return bodies


# -- documentation ---------------------------------------------------------------------------------

def response_outline(output_specs: Mapping[str, tf.TensorSpec], format: str) -> str:
    """The answer's form, e.g. ``{"predictions": [{"bits_per_dim": <float32>, ...}, ...]}``:
    ``<dtype [dims]>`` stands for a value of that dtype in nested lists of those dims (``B`` the
    batch, ``?`` a size the signature leaves open)."""
    def value(spec, row):
        dims = ["B" if i == 0 else "?" if d is None else str(d)
                for i, d in enumerate(spec.shape.as_list())][1 if row else 0:]
        dims = ", ".join(dims)
        return f"<{spec.dtype.name} [{dims}]>" if dims else f"<{spec.dtype.name}>"

    def entries(row):
        names = sorted(output_specs)
        if len(names) == 1:
            return value(output_specs[names[0]], row)
        return "{" + ", ".join(f'"{n}": {value(output_specs[n], row)}' for n in names) + "}"

    if format == ROW:
        return f'{{"predictions": [{entries(True)}, ...]}}'
    return f'{{"outputs": {entries(False)}}}'


def markdown_examples(models: Mapping[str, Mapping[str, tuple]], batch: int = 2) -> str:
    """Markdown with the request bodies and answer outlines of every signature of ``models``
    (``{model name: {signature name: (input specs, output specs)}}``, each specs a ``{name:
    TensorSpec}``); signatures equal across models (same name and specs) are shown once."""
    from tfgen.export.examples import example_inputs

    groups: dict[tuple, list[str]] = {}
    for model, signatures in models.items():
        for signature, (inputs, outputs) in signatures.items():
            key = (signature, tuple(sorted((n, s.dtype.name, tuple(s.shape.as_list()))
                                           for n, s in {**inputs, **outputs}.items())))
            groups.setdefault(key, [signature, inputs, outputs, []])[3].append(model)
    lines = []
    for signature, inputs, outputs, names in sorted(groups.values(), key=lambda g: g[0]):
        lines.append(f"**`{signature}`** ({', '.join(names)}):")
        lines.append("")
        specs = [inputs[n] for n in sorted(inputs)]
        bodies = example_bodies(signature, specs, example_inputs(specs, batch))
        for format in (COLUMNAR, ROW):
            if format in bodies:
                lines += ["```json", dumps(bodies[format]), "```",
                          f"answers `{response_outline(outputs, format)}`", ""]
    return "\n".join(lines).rstrip() + "\n"
