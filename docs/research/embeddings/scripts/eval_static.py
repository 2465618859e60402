import os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
from evalset import report, bench_sentences, EVENTS
import numpy as np
from model2vec import StaticModel
path, teacher = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None
sm = StaticModel.from_pretrained(path)
report(f"static {os.path.basename(path)}", lambda xs: sm.encode(xs))
if teacher:
    A = np.load(teacher); A /= np.linalg.norm(A, axis=1, keepdims=True)
    texts = [e[i] for i in range(3) for e in EVENTS]
    B = sm.encode(texts); B /= np.linalg.norm(B, axis=1, keepdims=True)
    iu = np.triu_indices(len(texts), 1)
    print("pearson of pairwise cosines, teacher vs static:", np.corrcoef((A @ A.T)[iu], (B @ B.T)[iu])[0, 1].round(3))
b = bench_sentences(20000)
t = time.perf_counter(); sm.encode(b, batch_size=1024); dt = time.perf_counter() - t
print(f"static python (model2vec) speed 1 thread: {len(b)/dt:.0f} sentences/s (128-token sentences)")
