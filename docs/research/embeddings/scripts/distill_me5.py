import os, sys, time
import torch; torch.set_num_threads(1)
from model2vec.distill import distill
src = "/work/research-19/out/me5-small-deq"; out = "/work/research-19/out/m2v-me5-256"
t = time.perf_counter()
m2v = distill(model_name=src, pca_dims=256)
print(f"distill time: {time.perf_counter()-t:.1f}s", flush=True)
m2v.save_pretrained(out)
import json
p = os.path.join(out, "tokenizer.json"); tk = json.load(open(p)); tk["padding"] = None; tk["truncation"] = None
json.dump(tk, open(p, "w"), ensure_ascii=False)
print("files:", {f: os.path.getsize(os.path.join(out, f)) for f in os.listdir(out)})
