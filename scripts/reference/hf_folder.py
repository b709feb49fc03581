"""Safetensors and the Hugging Face GPT-2 folder (config.json + model.safetensors), written to the
spec with the reference's own minimal code: an 8-byte little-endian header length, a JSON header
{name: {dtype, shape, data_offsets: [begin, end)}, "__metadata__": {...}}, then the raw
little-endian tensor bytes, offsets relative to the end of the header."""

import array
import json
import math
import os
import struct
import sys

import torch

from gpt2_model import GPT, ModelConfig


# dtype name → (bytes per element, integer view used to move the raw bits, torch dtype)
SAFETENSORS_DTYPES = {
    "F32": (4, torch.int32, torch.float32),
    "F16": (2, torch.int16, torch.float16),
    "BF16": (2, torch.int16, torch.bfloat16),
}
ARRAY_CODES = {torch.int32: "i", torch.int16: "h"}


class SafetensorsError(Exception):
    pass


def read_safetensors(path):
    """Returns {name: float32 tensor} from a safetensors file (F32, F16 or BF16 tensors)."""
    if sys.byteorder != "little":
        raise SafetensorsError("this reader assumes a little-endian machine")
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise SafetensorsError(f"{path}: {len(blob)} bytes, too short for the 8-byte header length")
    (header_len,) = struct.unpack("<Q", blob[:8])
    if 8 + header_len > len(blob):
        raise SafetensorsError(
            f"{path}: header length {header_len} runs past the file end ({len(blob)} bytes)"
        )
    try:
        header = json.loads(blob[8 : 8 + header_len].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise SafetensorsError(f"{path}: header is not UTF-8 JSON ({err})") from err
    data = blob[8 + header_len :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = info.get("dtype")
        if dtype not in SAFETENSORS_DTYPES:
            raise SafetensorsError(f"{path}: tensor {name} has dtype {dtype}; allowed: F32, F16, BF16")
        size, int_dtype, float_dtype = SAFETENSORS_DTYPES[dtype]
        shape = info["shape"]
        begin, end = info["data_offsets"]
        count = math.prod(shape)
        if not (0 <= begin <= end <= len(data)) or end - begin != count * size:
            raise SafetensorsError(
                f"{path}: tensor {name} {dtype}{shape} has data_offsets [{begin}, {end}) "
                f"but needs {count * size} bytes inside a {len(data)}-byte data section"
            )
        # Copy the slice so the tensor is aligned and writable whatever the header length was.
        raw = bytearray(data[begin:end])
        bits = torch.frombuffer(raw, dtype=int_dtype) if count > 0 else torch.empty(0, dtype=int_dtype)
        tensors[name] = bits.view(float_dtype).to(torch.float32).reshape(shape).clone()
    return tensors


def write_safetensors(path, tensors, dtype="F32"):
    """Writes {name: tensor} as one safetensors file, tensors in name order, all in `dtype`.
    The header is padded with spaces so the data section starts 8-byte aligned."""
    size, int_dtype, float_dtype = SAFETENSORS_DTYPES[dtype]
    header, chunks, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float32).to(float_dtype).contiguous()
        raw = array.array(ARRAY_CODES[int_dtype], t.view(int_dtype).reshape(-1).tolist())
        assert raw.itemsize == size
        if sys.byteorder != "little":
            raw.byteswap()
        chunk = raw.tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(chunk)]}
        chunks.append(chunk)
        offset += len(chunk)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for chunk in chunks:
            f.write(chunk)


def hf_config(cfg):
    """config.json for transformers' GPT2LMHeadModel with this shape (no dropout, tied head)."""
    return {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "vocab_size": cfg.vocab_size,
        "n_positions": cfg.n_positions,
        "n_ctx": cfg.n_positions,
        "n_embd": cfg.n_embd,
        "n_layer": cfg.n_layer,
        "n_head": cfg.n_head,
        "n_inner": None,
        "activation_function": "gelu_new",
        "layer_norm_epsilon": cfg.layer_norm_epsilon,
        "resid_pdrop": 0.0,
        "embd_pdrop": 0.0,
        "attn_pdrop": 0.0,
        "initializer_range": 0.02,
        "scale_attn_weights": True,
        "scale_attn_by_inverse_layer_idx": False,
        "reorder_and_upcast_attn": False,
        "tie_word_embeddings": True,
        "torch_dtype": "float32",
    }


def config_from_hf(path):
    """ModelConfig from config.json, refusing settings this model does not implement."""
    with open(path, encoding="utf-8") as f:
        c = json.load(f)
    for key in ("vocab_size", "n_positions", "n_embd", "n_layer", "n_head"):
        if not isinstance(c.get(key), int):
            raise ValueError(f"{path}: field {key} must be an integer, got {c.get(key)!r}")
    expected = {
        "activation_function": ("gelu_new", "gelu_new"),
        "n_inner": (None, None),
        "scale_attn_weights": (True, True),
        "scale_attn_by_inverse_layer_idx": (False, False),
        "reorder_and_upcast_attn": (False, False),
        "tie_word_embeddings": (True, True),
    }
    for key, (default, allowed) in expected.items():
        value = c.get(key, default)
        if key == "n_inner" and value == 4 * c["n_embd"]:
            continue
        if value != allowed:
            raise ValueError(f"{path}: field {key} is {value!r}; this reference supports only {allowed!r}")
    return ModelConfig(
        c["vocab_size"], c["n_positions"], c["n_layer"], c["n_head"], c["n_embd"],
        c.get("layer_norm_epsilon", 1e-5),
    )


def load_hf_folder(model_dir):
    """A GPT instance holding the weights of an HF GPT-2 folder (config.json + model.safetensors)."""
    cfg = config_from_hf(os.path.join(model_dir, "config.json"))
    weights = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    wte = weights.get("transformer.wte.weight")
    if wte is None:
        raise ValueError(f"{model_dir}/model.safetensors has no transformer.wte.weight")
    if "lm_head.weight" in weights:
        if not torch.equal(weights["lm_head.weight"], wte):
            raise ValueError(
                f"{model_dir}: lm_head.weight differs from transformer.wte.weight; the head must be tied"
            )
    else:
        weights["lm_head.weight"] = wte  # the tied head, which HF leaves out of the file
    model = GPT(cfg)
    model.load_state_dict(weights, strict=True)
    model.eval()
    return model
