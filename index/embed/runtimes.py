"""The encoder on OpenVINO or ONNX Runtime: export the model once with torch.onnx, then run it.

An export lives in ``<cache>/models/<key>/`` (``model.onnx``, ``tokenizer.json``, ``spec.json``),
keyed by the model, the encoder and the export settings, and is rebuilt when missing. Exporting
loads the sentence-transformers model from where it already is (the bundled package for the
default model): nothing is downloaded. The export uses the model's plain ("eager") attention.

- ``openvino``: that graph compiled by OpenVINO for the CPU, which fuses it itself and computes in
  bfloat16 where the CPU has bfloat16 matrix units (AMX, AVX-512 BF16), else in fp32; the vectors
  match fp32's to a mean cosine of 0.99999.
- ``onnx``, ``onnx-int8``: onnxruntime's transformer optimiser fuses each layer's attention, layer
  norms and GELU into single operators; ``onnx-int8`` then quantises the weights to int8 per
  channel (dynamic quantisation: activations quantised at run time; mean cosine to fp32 0.994).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import threading
import warnings
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import NewsIndexError
from .bundled import load_sentence_transformer, model_location
from .transformer import Forward, ModelSpec, TransformerEmbedder

__all__ = ["export_dir", "onnx_embedder"]

# Change when the export changes, so old exports are not reused.
OPSET = 17
EXPORT = {
    "format": 2,
    "opset": OPSET,
    "fused": "onnxruntime.transformers bert",
    "int8": "dynamic QInt8 weights, per channel",
}
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# OpenVINO prepares its kernels for each new input shape, which costs more than the inference
# (docs/scaling.md): batches are padded to a multiple of this many tokens, so few shapes recur.
OPENVINO_WIDTH_STEP = 16


def export_dir(cache: Path, name: str, encoder: str) -> Path:
    """The folder of the export of ``name`` for ``encoder``."""
    key = json.dumps({"model": model_location(name), "encoder": encoder, **EXPORT}, sort_keys=True)
    slug = re.sub(r"[^A-Za-z0-9.-]+", "-", name).strip("-")[-40:]
    return cache / "models" / f"{slug}-{encoder}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def _export(name: str, encoder: str, dest: Path) -> None:
    """Write the export into ``dest`` (a new folder), from the sentence-transformers model."""
    import torch

    st = load_sentence_transformer(name)
    spec = ModelSpec.of(st)
    model = st[0].auto_model.eval()
    model.set_attn_implementation("eager")  # the pattern the optimiser knows how to fuse

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            return self.model(**dict(zip(_INPUTS, inputs, strict=True))).last_hidden_state

    dummy = tuple(torch.ones((2, 8), dtype=torch.long) for _ in _INPUTS)
    axes = {n: {0: "batch", 1: "tokens"} for n in (*_INPUTS, "hidden")}
    fp32 = dest / "fp32.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            Hidden(),
            dummy,
            str(fp32),
            input_names=list(_INPUTS),
            output_names=["hidden"],
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
        )
    if encoder == "openvino":  # it fuses the plain graph itself (not onnxruntime's own operators)
        fp32.rename(dest / "model.onnx")
    else:
        _fuse_and_quantise(fp32, dest / "model.onnx", encoder, model.config)
    (dest / "tokenizer.json").write_text(st.tokenizer.backend_tokenizer.to_str())
    (dest / "spec.json").write_text(json.dumps(asdict(spec), indent=2) + "\n")


def _fuse_and_quantise(fp32: Path, dest: Path, encoder: str, config: Any) -> None:
    """Fuse ``fp32`` for onnxruntime into ``dest``, with int8 weights for ``onnx-int8``."""
    fused = fp32.with_name("fused.onnx")
    _fuse(fp32, fused, config)
    fp32.unlink()
    if encoder == "onnx-int8":
        from onnx import TensorProto
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(
            fused,
            dest,
            weight_type=QuantType.QInt8,
            per_channel=True,
            # the fused operators carry no shape information: their outputs are float
            extra_options={"DefaultTensorType": TensorProto.FLOAT},
        )
        fused.unlink()
    else:
        fused.rename(dest)


def _fuse(source: Path, dest: Path, config: Any) -> None:
    """Fuse attention, layer norms and GELU with onnxruntime's optimiser for BERT-like encoders."""
    from onnxruntime.transformers import optimizer

    fused = optimizer.optimize_model(
        str(source),
        model_type="bert",
        num_heads=int(getattr(config, "num_attention_heads", 0)),
        hidden_size=int(getattr(config, "hidden_size", 0)),
        opt_level=1,
    )
    fused.save_model_to_file(str(dest))


def ensure_export(cache: Path, name: str, encoder: str) -> Path:
    """The export's folder, made now if it is missing (atomically: a rename publishes it)."""
    final = export_dir(cache, name, encoder)
    if (final / "spec.json").is_file():
        return final
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir(parents=True)
        _export(name, encoder, tmp)
        with contextlib.suppress(OSError):  # another process published it first: keep theirs
            os.rename(tmp, final)
    except OSError as exc:
        raise NewsIndexError(f"could not write the ONNX export to {final}: {exc}") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def _session_forward(path: Path) -> Forward:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.inter_op_num_threads = 1
    # Threads that sleep when idle: spinning ones cost more than they save on a busy machine.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def forward(ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        hidden: Any = session.run(["hidden"], feeds)[0]
        return np.asarray(hidden, dtype=np.float32)

    return forward


def _openvino_forwards(path: Path) -> tuple[_OpenVinoForward, _OpenVinoForward]:
    """Documents on every core, questions on one thread of a second compiled model: a question
    then never waits behind a re-index's batch. Each compiles on first use."""
    import openvino as ov

    core = ov.Core()
    model = core.read_model(str(path))
    documents = _OpenVinoForward(core, model, {"PERFORMANCE_HINT": "LATENCY"})
    questions = _OpenVinoForward(
        core, model, {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": 1}
    )
    return documents, questions


class _OpenVinoForward:
    """One compiled model, compiled on first call; one infer request per calling thread (a
    request serves one call at a time). ``release`` drops them all, to be compiled again by the
    next call: the documents' model and its requests hold ~200 MB between writes, and compiling
    it takes ~0.3 s (docs/reliability.md)."""

    def __init__(self, core: Any, model: Any, config: dict[str, Any]) -> None:
        self._core, self._model, self._config = core, model, config
        self._compiled: Any = None
        self._lock = threading.Lock()
        # by thread id rather than in a threading.local, so that ``release`` reaches them all
        self._requests: dict[int, Any] = {}

    def __call__(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        thread = threading.get_ident()
        request = self._requests.get(thread)
        if request is None:
            with self._lock:
                if self._compiled is None:
                    self._compiled = self._core.compile_model(self._model, "CPU", self._config)
                request = self._requests[thread] = self._compiled.create_infer_request()
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        # a copy: the request reuses its output buffer on the next call
        return np.array(request.infer(feeds)[0], dtype=np.float32)

    def release(self) -> None:
        """Forget the compiled model and its requests (a call under way finishes with its own)."""
        with self._lock:
            self._compiled = None
            self._requests = {}


def onnx_embedder(name: str, encoder: str, cache: Path) -> TransformerEmbedder:
    """The embedder for ``name`` on OpenVINO or ONNX Runtime (exported into ``cache`` if needed)."""
    from tokenizers import Tokenizer

    folder = ensure_export(cache, name, encoder)
    try:
        spec = ModelSpec(**json.loads((folder / "spec.json").read_text()))
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        width_step, release = 1, None
        forward: Forward
        query_forward: Forward
        if encoder == "openvino":
            documents, query_forward = _openvino_forwards(folder / "model.onnx")
            forward, release = documents, documents.release
            width_step = OPENVINO_WIDTH_STEP
        else:  # one session serves both: nothing of its own to release
            forward = query_forward = _session_forward(folder / "model.onnx")
    except Exception as exc:  # a damaged export: the runtimes and tokenizers raise their own kinds
        raise NewsIndexError(
            f"the ONNX export in {folder} is damaged ({exc}); delete that folder to rebuild it"
        ) from exc
    return TransformerEmbedder(
        name, encoder, spec, tokenizer, forward, query_forward, width_step, release
    )
