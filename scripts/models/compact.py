"""Shrink a model2vec model: k-means the token directions into K rows, int8 rows, per-token
weight = |token vector| * row scale, plus a token->row mapping (the layout model2vec-rs 0.4 reads:
tensors embeddings[I8 K x d], weights[F32 V], mapping[I32 V]).

Usage: python3 compact.py SRC_DIR DST_DIR K [SAMPLE]
SRC_DIR is the output of distill_own.py; K the number of rows kept; the k-means is fitted on
SAMPLE token directions drawn with a fixed seed (default: all), then every token is assigned."""
import json, os, shutil, sys, time
import numpy as np
from safetensors.numpy import load_file, save_file
from sklearn.cluster import MiniBatchKMeans
if len(sys.argv) not in (4, 5):
    sys.exit(__doc__)
src, dst, K = sys.argv[1], sys.argv[2], int(sys.argv[3])
E = load_file(os.path.join(src, "model.safetensors"))["embeddings"].astype(np.float32)
V, d = E.shape
norms = np.linalg.norm(E, axis=1); U = E / np.maximum(norms, 1e-8)[:, None]
t = time.perf_counter()
sub = int(sys.argv[4]) if len(sys.argv) > 4 else V
rng = np.random.default_rng(0); idx = rng.choice(V, size=min(sub, V), replace=False)
km = MiniBatchKMeans(n_clusters=K, batch_size=8192, n_init=1, max_iter=(20 if sub >= V else 3), init=("k-means++" if K <= 4096 else "random"), random_state=0).fit(U[idx])
km.labels_ = km.predict(U)
print(f"kmeans V={V} K={K} d={d}: {time.perf_counter()-t:.0f}s")
C = km.cluster_centers_; C /= np.maximum(np.linalg.norm(C, axis=1, keepdims=True), 1e-8)
scale = np.maximum(np.abs(C).max(1) / 127.0, 1e-8)
Q = np.clip(np.round(C / scale[:, None]), -127, 127).astype(np.int8)
mapping = km.labels_.astype(np.int32)
weights = np.nan_to_num(norms * scale[mapping]).astype(np.float32)
os.makedirs(dst, exist_ok=True)
save_file({"embeddings": Q, "weights": weights, "mapping": mapping}, os.path.join(dst, "model.safetensors"))
for f in ("tokenizer.json", "config.json"): shutil.copy(os.path.join(src, f), dst)
cfg = json.load(open(os.path.join(dst, "config.json"))); cfg["embedding_dtype"] = "int8"; cfg["vocabulary_quantization"] = K
json.dump(cfg, open(os.path.join(dst, "config.json"), "w"), indent=1)
print({f: os.path.getsize(os.path.join(dst, f)) for f in os.listdir(dst)})
